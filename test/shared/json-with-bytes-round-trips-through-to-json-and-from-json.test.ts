import { describe, expect, it } from 'vitest';
import { fromJson, toJson } from '../../shared/protocol.ts';

describe('toJson and fromJson', () => {
  it('bring bytes back as Uint8Array wherever they sit: in objects, arrays and arrays of arrays', () => {
    const value = {
      a: new Uint8Array([0, 1, 255]),
      list: [new Uint8Array([7]), { deep: [[new Uint8Array([])]] }, 'text'],
      n: null,
    };
    const back = fromJson<typeof value>(toJson(value));
    expect(back).toEqual(value);
    expect(back.a).toBeInstanceOf(Uint8Array);
    expect((back.list[1] as { deep: Uint8Array[][] }).deep[0]![0]).toBeInstanceOf(Uint8Array);
  });

  it('leave a text "$b64" that is not the key of a string as it is', () => {
    const value = { s: '"$b64"', k: { $b64: 5 }, q: 'say "$b64": "AAE="' };
    expect(fromJson(toJson(value))).toEqual(value);
  });

  it('keep a key named __proto__ a plain property, as JSON.parse does, beside bytes to revive', () => {
    const text = '{"__proto__":{"$b64":"AQI="},"x":{"__proto__":[1],"y":{"$b64":"Aw=="}}}';
    const back = fromJson<Record<string, unknown>>(text);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual(
      new Uint8Array([1, 2]),
    );
    const x = back.x as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toEqual([1]);
    expect(x.y).toEqual(new Uint8Array([3]));
  });
});
