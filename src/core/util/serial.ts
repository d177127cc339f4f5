// Runs async tasks one after another, in the order they were queued.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }

  idle(): Promise<unknown> {
    return this.tail;
  }
}
