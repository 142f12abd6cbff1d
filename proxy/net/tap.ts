/**
 * The tap's types, where the net layer and its tests find them: each chunk the relay forwards,
 * and each transport event, goes straight to the session's inspector (relay.ts), in order.
 * The relay keeps no queue of its own; the one queue toward inspection is the inspection
 * thread client's outbox (inspection/outbox.ts).
 */
export type {
  SessionInspector,
  TapChunk,
  TransportEvent,
  TransportNotice,
  TransportNoticeCode,
} from '../transport.ts';
