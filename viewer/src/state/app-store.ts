/**
 * The viewer's state outside React: the connection, the session list, and the one session
 * open in the session view (loaded over REST, then kept live from the same WebSocket).
 */
import type { ImapscopeEvent } from '../../../shared/events.ts';
import type { SessionRow } from '../../../shared/protocol.ts';
import { api } from '../api.ts';
import type { ConnectionStatus } from '../connection.ts';
import { Connection } from '../connection.ts';
import { Emitter } from './emitter.ts';
import { SessionListModel } from './session-list-model.ts';
import type { ListQuery } from './session-list-model.ts';
import { SessionModel } from './session-model.ts';

/** Events per REST page when opening a session (the hub's maximum); the first page is small so the timeline draws at once. */
export const SESSION_PAGE = 5_000;
export const FIRST_PAGE = 500;

export class AppStore {
  readonly emitter = new Emitter();
  readonly list = new SessionListModel();
  status: ConnectionStatus = 'connecting';
  statusDetail: string | null = null;
  /** Once the first snapshot arrived. */
  ready = false;
  listen: string | null = null;
  /** The hub serves the console bridge (practice server, or --console). */
  consoleEnabled = false;
  session: SessionModel | null = null;
  sessionError: string | null = null;
  /** Time the open session's first page was applied (ms after `openSession`), for the figures. */
  firstPageMs: number | null = null;
  private connection: Connection | null = null;
  /**
   * The list's first page, asked for at start beside the WebSocket: resolves with the live
   * position it was read at once it is shown, or null (it failed, or another query replaced it).
   */
  private firstPage: Promise<number | null> | null = null;

  constructor(readonly token: string | null) {}

  start(): void {
    // The first page does not wait for the WebSocket's snapshot (the socket's handshake and
    // snapshot took about as long as the page itself): it is drawn while the socket opens, and
    // the snapshot then says whether it can stay.
    this.firstPage = this.loadList().then((shown) => (shown ? this.list.position : null));
    this.connection = new Connection(this.token, {
      snapshot: (rows, resumed, lastGseq) => this.snapshot(rows, resumed, lastGseq),
      events: (events) => this.events(events),
      status: (status, detail) => {
        this.status = status;
        this.statusDetail = detail;
        this.emitter.changed();
      },
    });
    this.connection.start();
    api.status(this.token).then(
      (s) => {
        if (typeof s.listen === 'string') this.listen = s.listen;
        this.consoleEnabled = s.console === true;
        this.emitter.changed();
      },
      () => undefined,
    );
  }

  stop(): void {
    this.connection?.stop();
  }

  /**
   * Shows the list page `query` names (the hub pages, sorts and searches the archive);
   * resolves with whether that page is the one shown (see SessionListModel.load).
   */
  loadList(query: ListQuery = this.list.query): Promise<boolean> {
    return this.list.load((q) => api.sessionPage(this.token, q), query);
  }

  private snapshot(rows: SessionRow[], resumed: boolean, lastGseq: number): void {
    // The snapshot's live sessions, then the page again unless the first page was read at the
    // snapshot's very position: then the events the socket delivers after it are exactly the
    // ones the page lacks (held while it is in flight, as for any page). Read at another
    // position, sessions may have opened or ended in between unseen; after a resume what the
    // page showed may have changed beyond what the replayed events say (pruned, ended unseen).
    this.list.setRows(rows.filter((r) => r.endedAt === null));
    const first = resumed ? null : this.firstPage;
    this.firstPage = null;
    void (first ?? Promise.resolve(null))
      .then((at) => (at === lastGseq ? true : this.loadList()))
      .then(() => {
        this.ready = true;
        this.emitter.changed();
      });
    this.emitter.changed();
    // After a resume the open session may have missed events the resume does not replay
    // (it replays them, but a session opened meanwhile may be behind): top it up.
    if (resumed && this.session) void this.loadPages(this.session);
  }

  private events(events: ImapscopeEvent[]): void {
    this.list.apply(events);
    const s = this.session;
    if (s) {
      const mine = events.filter((e) => e.session === s.id);
      if (mine.length > 0) s.add(mine);
    }
  }

  /** Opens a session in the session view (null closes it). */
  openSession(id: string | null): void {
    if (this.session?.id === id) return;
    this.session = id === null ? null : new SessionModel(id);
    this.sessionError = null;
    this.firstPageMs = null;
    this.emitter.changed();
    if (this.session) {
      void this.loadPages(this.session);
      // Opened by URL, an archived session is not in the list's page: its header needs its row.
      if (id !== null && !this.list.get(id)) {
        api.session(this.token, id).then(
          (row) => this.list.remember(row),
          () => undefined,
        );
      }
    }
  }

  private async loadPages(model: SessionModel): Promise<void> {
    const started = performance.now();
    try {
      let after = model.applied;
      for (;;) {
        const limit = after === 0 ? FIRST_PAGE : SESSION_PAGE;
        const page = await api.sessionEvents(this.token, model.id, after, limit);
        if (this.session !== model) return;
        model.add(page.events);
        if (this.firstPageMs === null) {
          this.firstPageMs = performance.now() - started;
        }
        if (page.nextAfterSeq === null) break;
        after = page.nextAfterSeq;
      }
      model.markCaughtUp();
      this.list.setCounts(model.id, model.row, model.countsExact);
    } catch (err) {
      if (this.session !== model) return;
      this.sessionError = (err as Error).message;
      // Without the archive only live events are known: show what arrives.
      model.markCaughtUp();
      this.emitter.changed();
    }
  }
}
