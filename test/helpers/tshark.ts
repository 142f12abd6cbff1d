/** tshark (Wireshark's command line) as a second opinion on the pcapng exports. */
import { execFileSync } from 'node:child_process';

/** The IMAP request lines tshark finds in a capture file, as [tag, command] per request. */
export function tsharkImapRequests(file: string): string[][] {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      'imap.request',
      '-T',
      'fields',
      '-e',
      'imap.request_tag',
      '-e',
      'imap.request.command',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}
