/** Which way bytes flow: client to server, or server to client. Used everywhere (code, events, logs, UI). */
export type Direction = 'c2s' | 's2c';

export const DIRECTIONS: readonly Direction[] = ['c2s', 's2c'];
