/** Facts read off a command's arguments: its literals, the user it names. Pure helpers of the tracker. */
import type { Command, Token } from '../../shared/messages.ts';
import { tokenLiterals } from '../../shared/message-literals.ts';
import { plainSaslUser } from './redact.ts';

/** Counts the command's literals that were sent (refused ones left out), by kind. */
export function literalCounts(cmd: Command): {
  sync: number;
  nonsync: number;
  largestNonsync: number;
} {
  const counts = { sync: 0, nonsync: 0, largestNonsync: 0 };
  for (const l of tokenLiterals(cmd.args)) {
    if (l.refused) continue;
    if (l.kind === 'sync') counts.sync++;
    else {
      counts.nonsync++;
      counts.largestNonsync = Math.max(counts.largestNonsync, l.size);
    }
  }
  return counts;
}

/** The text of an atom, quoted string, number or literal (its preview); null otherwise. */
export function tokenText(t: Token | undefined): string | null {
  if (t === undefined) return null;
  if (t.type === 'atom' || t.type === 'quoted') return t.value;
  if (t.type === 'number') return String(t.value);
  if (t.type === 'literal') return Buffer.from(t.literal.preview).toString('utf8');
  return null;
}

/** AUTHENTICATE PLAIN with an initial response names its user. */
export function saslUser(cmd: Command): string | null {
  const mech = tokenText(cmd.args[0])?.toUpperCase();
  const ir = tokenText(cmd.args[1]);
  return mech === 'PLAIN' && ir !== null ? plainSaslUser(ir) : null;
}
