/**
 * The lints a client command gets when it is read whole: pure, from the command and what the
 * tracker knows at that moment (the state it runs in, capabilities, what is in flight).
 */
import type { ImapState } from '../../shared/events.ts';
import type { Command } from '../../shared/messages.ts';
import { literalCounts } from './command-facts.ts';
import * as lints from './lints.ts';
import type { SessionModel } from './state.ts';

export interface CommandContext {
  /** The state the command runs in, earlier pipelined commands succeeding. */
  stateAtCommand: ImapState;
  /** A STARTTLS was sent and not answered yet (anything behind it is injected). */
  startTlsRunning: boolean;
  /** Another command with the same tag is in flight. */
  tagInFlight: boolean;
  /** Continuation requests the server sent for this command. */
  continuations: number;
  /** Bytes were lost: a `+` may have been among them. */
  afterGap: boolean;
}

/** The lints for command `cmd` (its message event is `seq`), in the order they are emitted. */
export function commandLints(
  cmd: Command,
  seq: number,
  model: SessionModel,
  ctx: CommandContext,
): lints.Lint[] {
  const out: lints.Lint[] = [];
  if (ctx.startTlsRunning) out.push(lints.startTlsInjection(cmd, seq));
  if (ctx.tagInFlight) out.push(lints.tagReused(cmd, seq));
  // An unknown command is linted when the server answers BAD (explainBad), not here.
  const invalid = lints.invalidState(cmd, ctx.stateAtCommand, seq); // null for unknown commands
  if (invalid) out.push(invalid);
  if (cmd.name === 'LOGIN' || cmd.name === 'AUTHENTICATE') {
    if (!model.tls) out.push(lints.cleartextLogin(cmd, seq));
    if (cmd.name === 'LOGIN' && model.has('LOGINDISABLED')) out.push(lints.loginDisabled(seq));
  }
  const { sync, nonsync, largestNonsync } = literalCounts(cmd);
  if (sync > ctx.continuations && !ctx.afterGap) {
    out.push(lints.literalNotSynchronized(cmd, seq, model.has('LITERAL+')));
  }
  if (nonsync === 0 || !model.capabilitiesKnown || model.has('LITERAL+')) return out;
  if (!model.has('LITERAL-')) out.push(lints.nonsyncUnsupported(cmd, seq));
  else if (largestNonsync > lints.LITERAL_MINUS_MAX) {
    out.push(lints.literalMinusTooLarge(cmd, seq, largestNonsync));
  }
  return out;
}
