import { describe, expect, it } from 'vitest';
import { ConsoleModel } from '../../viewer/src/state/console-model.ts';

function consoleWithWire(): { model: ConsoleModel; wire: string[] } {
  const model = new ConsoleModel();
  const wire: string[] = [];
  model.attach((b) => wire.push(new TextDecoder().decode(b)));
  return { model, wire };
}
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('the console model', () => {
  it('numbers tags, sends lines as typed when numbering is off, and never tags DONE', () => {
    const { model, wire } = consoleWithWire();
    model.submit('LOGIN learner practice');
    model.submit('IDLE');
    model.submit('DONE');
    model.setAutoTag(false);
    model.submit('x1 NOOP');
    model.example('LOGOUT');
    expect(wire).toEqual([
      'A0001 LOGIN learner practice\r\n',
      'A0002 IDLE\r\n',
      'DONE\r\n',
      'x1 NOOP\r\n',
      'A0003 LOGOUT\r\n',
    ]);
    expect(model.history).toEqual(['LOGIN learner practice', 'IDLE', 'DONE', 'x1 NOOP', 'LOGOUT']);
  });

  it("holds a synchronizing literal until the server's +, then ends the command", () => {
    const { model, wire } = consoleWithWire();
    model.submit('CREATE {5}');
    model.submit('héllo'.normalize('NFC').slice(0, 4));
    expect(wire).toEqual(['A0001 CREATE {5}\r\n']);
    expect(model.awaitingLiteral).toEqual({ size: 5, mayGo: false });
    model.receive(bytes('+ Ready for literal data\r\n'));
    // "héll" is 5 bytes in UTF-8: the whole literal, then the CRLF that ends the command.
    expect(wire).toEqual(['A0001 CREATE {5}\r\n', 'héll', '\r\n']);
    expect(model.awaitingLiteral).toBeNull();
    expect(model.nextTag).toBe('A0002');
  });

  it('drops a literal the server refuses, and sends LITERAL+ bodies at once', () => {
    const { model, wire } = consoleWithWire();
    model.submit('APPEND nosuch {3}');
    model.receive(bytes('A0001 NO [TRYCREATE] no such mailbox\r\n'));
    expect(model.awaitingLiteral).toBeNull();
    model.submit('CREATE {3+}');
    model.submit('abc');
    expect(wire).toEqual(['A0001 APPEND nosuch {3}\r\n', 'A0002 CREATE {3+}\r\n', 'abc', '\r\n']);
  });

  it("answers a SASL + untagged, but not a + inside a server's literal", () => {
    const { model, wire } = consoleWithWire();
    model.receive(bytes('* 1 FETCH (BODY[] {8}\r\n+ hello\r\n)\r\n'));
    model.submit('AUTHENTICATE PLAIN');
    model.receive(bytes('+ \r\n'));
    model.submit('AGxlYXJuZXIAcHJhY3RpY2U=');
    expect(wire).toEqual(['A0001 AUTHENTICATE PLAIN\r\n', 'AGxlYXJuZXIAcHJhY3RpY2U=\r\n']);
  });

  it('reads the same lines whole, byte by byte and split anywhere', () => {
    const text = '* OK ready\r\n* 1 FETCH (BODY[] {8}\r\nGrüß\r\n)\r\nA0001 OK done\r\n';
    const all = bytes(text);
    const linesOf = (chunks: Uint8Array[]) => {
      const { model } = consoleWithWire();
      for (const c of chunks) model.receive(c);
      return model.lines.map((l) => l.text).join('|');
    };
    const whole = linesOf([all]);
    expect(whole).toBe('* OK ready|* 1 FETCH (BODY[] {8}|Grüß\r\n|)|A0001 OK done');
    expect(linesOf([...all].map((b) => Uint8Array.of(b)))).toBe(whole);
    for (let cut = 1; cut < all.length; cut++) {
      expect(linesOf([all.subarray(0, cut), all.subarray(cut)])).toBe(whole);
    }
  });
});
