/**
 * @module ring
 * SharedArrayBuffer ring queues between threads: `Ring` (bytes in, bytes out), its consumer loop, and
 * `RecordRing` (records with int32 header fields). See ring.ts for the usage example, ring-sleep.ts for the
 * wake-up protocol.
 */
export { Ring, type RecordHandler, type RingStats } from "./ring.ts";
export { type ConsumerOptions, type RingConsumer } from "./ring-consumer.ts";
export { RecordRing, recordRingSize, type FieldRecordHandler } from "./record-ring.ts";
export { RingError, type RingErrorCode } from "./ring-errors.ts";
export { RECORD_HEADER_BYTES, RING_HEADER_BYTES, RING_LAYOUT_VERSION, recordSize } from "./ring-layout.ts";
