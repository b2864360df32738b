/**
 * @module status/render-cache
 * `/metrics` and `/status` walk every thread's counters and build a fresh text on each request; a flood of scrapes
 * (2,400/s measured, issue 12) took a quarter of the data path's throughput on a shared machine. This keeps the last
 * text and renders again only once it is `minMs` old, so the cost is bounded whatever the request rate: at most one
 * render per `minMs`. Counters are at most that much behind, which no scraper can tell from its own interval. A
 * change of state (a reload's new generation, the drain) is not a counter: it drops the text (`invalidate`), so a
 * client that reads /status right after POST /reload answered sees the generation that answer announced.
 */

export class RenderCache<T> {
  /** Renders done so far (tests count them). */
  renders = 0;
  private at = 0;
  private value: T | undefined;

  constructor(
    private readonly minMs: number,
    private readonly render: () => T,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The next get() renders again. */
  invalidate(): void {
    this.value = undefined;
  }

  get(): T {
    const t = this.now();
    if (this.value === undefined || t - this.at >= this.minMs || t < this.at) {
      this.value = this.render();
      this.at = t;
      this.renders++;
    }
    return this.value;
  }
}
