// An outbound link (a WebSocket to Discord's gateway, to Slack's Socket Mode) kept up
// until it is closed: each attempt connects and runs until the link ends; a failed or
// ended attempt is followed by a backoff wait, which close() cuts short. An attempt that
// finds retrying cannot help (a bad token) stops the loop.
import { log } from "../core/util/log.ts";

// What an attempt returns to end the loop for good.
export const STOP = "stop";

export abstract class ReconnectingLink<State extends string> {
  protected state: State | "connecting" | "closed" = "connecting";
  // Attempts since the link last worked; the backoff grows with it.
  protected attempts = 0;
  protected readonly stopping = new AbortController();
  private wake?: () => void;
  private done: Promise<void> = Promise.resolve();

  constructor(
    // Names the link in the log ("discord gateway").
    private readonly label: string,
    protected readonly connectionId: string,
    // The state shown while waiting to try again.
    private readonly waiting: State,
    // How long to wait before the attempt after `attempts` failed ones.
    private readonly backoff: (attempts: number) => number,
  ) {}

  // One connection, from opening to its end; STOP when retrying cannot help.
  protected abstract attempt(): Promise<typeof STOP | void>;

  // Whether a thrown error means retrying cannot help (the subclass says why).
  protected fatal(_err: unknown): boolean {
    return false;
  }

  // Starts the loop; called by the subclass once its own fields are set.
  protected start(): void {
    this.done = this.loop();
  }

  // Ends the loop: `hangUp` ends the socket, if any; resolves once the loop has ended.
  protected async stop(hangUp: () => void): Promise<void> {
    this.state = "closed";
    this.stopping.abort();
    hangUp();
    this.wake?.();
    await this.done;
  }

  protected get closed(): boolean {
    return this.state === "closed";
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      this.state = "connecting";
      try {
        if (await this.attempt() === STOP) break;
      } catch (err) {
        if (this.closed || this.fatal(err)) break;
        log.warn(`${this.label}: link failed`, {
          connection: this.connectionId,
          error: (err as Error).message,
        });
      }
      if (this.closed) break;
      this.state = this.waiting;
      await this.sleep(this.backoff(this.attempts++));
    }
  }

  // Waits `ms`, or less if the link is closed meanwhile.
  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
