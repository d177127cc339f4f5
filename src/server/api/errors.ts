// Errors the API answers with a status and a one-line message.
export class ApiError extends Error {
  constructor(readonly status: 400 | 401 | 404 | 409 | 413 | 429, message: string) {
    super(message);
  }
}
