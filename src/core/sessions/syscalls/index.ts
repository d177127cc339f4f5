// The syscall table: every `op` a runner may ask of the daemon (docs/protocol.md).
import { start } from "./children.ts";
import type { SyscallContext } from "./context.ts";
import { refreshOauth } from "./oauth.ts";
import { outcome } from "./outcomes.ts";
import { nextSignal, signal } from "./signals.ts";
import { setPublished, store, storeKeys } from "./store.ts";
import { nextEvent, subscribe, unsubscribe } from "./subscriptions.ts";

export type SyscallHandler = (
  ctx: SyscallContext,
  args: Record<string, unknown>,
) => Promise<unknown>;

export const syscalls: Record<string, SyscallHandler> = {
  subscribe,
  next_event: nextEvent,
  unsubscribe,
  start,
  signal,
  next_signal: nextSignal,
  store,
  store_keys: storeKeys,
  publish: setPublished(true),
  unpublish: setPublished(false),
  outcome,
  refresh_oauth: refreshOauth,
};

export {
  type OAuthRefresh,
  type SyscallContext,
  type SyscallDeps,
  SyscallError,
} from "./context.ts";
