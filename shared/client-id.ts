/** The client's ID (RFC 2971): what the session list shows as the client's name and version. */
import type { Command, Token } from './messages.ts';

/** The name and version a client sent in its ID command (RFC 2971), when it sent them. */
export function clientIdOf(cmd: Command): { name: string | null; version: string | null } | null {
  if (cmd.name !== 'ID') return null;
  const list = cmd.args[0];
  if (!list || list.type !== 'list') return null;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < list.items.length; i += 2) {
    const k = stringOf(list.items[i]!);
    const v = stringOf(list.items[i + 1]!);
    if (k !== null && v !== null) fields.set(k.toLowerCase(), v);
  }
  const name = fields.get('name') ?? null;
  const version = fields.get('version') ?? null;
  return name === null && version === null ? null : { name, version };
}

function stringOf(t: Token): string | null {
  if (t.type === 'quoted' || t.type === 'atom') return t.value;
  if (t.type === 'literal') return new TextDecoder().decode(t.literal.preview);
  return null;
}
