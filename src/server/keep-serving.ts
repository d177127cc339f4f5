// The daemon's last line of defence. Work nobody awaits has its own catch; a promise that
// is rejected with no handler anyway (a bug) is logged, and the daemon keeps serving:
// the runtime's default would end the process, and every running session with it.
import { log } from "../core/util/log.ts";

export function keepServingOnUnhandledRejection(): void {
  process.on("unhandledRejection", (reason) => {
    log.error("unhandled rejection (a bug: please report it)", {
      error: reason instanceof Error ? reason.stack ?? reason.message : String(reason),
    });
  });
}
