/** GPU resources made once per key and disposed together (textures by name, label materials by id). */
export class DisposingCache<K, V extends { dispose(): void }> {
  private readonly items = new Map<K, V>();
  /** The keys asked for since mark(). */
  private readonly used = new Set<K>();
  constructor(private readonly make: (key: K) => V) {}
  get(key: K): V {
    let item = this.items.get(key);
    if (!item) {
      item = this.make(key);
      this.items.set(key, item);
    }
    this.used.add(key);
    return item;
  }
  /** Starts noting which items are asked for (see sweep). */
  mark(): void {
    this.used.clear();
  }
  /** Disposes the items not asked for since mark(): what the views built since then do not show. */
  sweep(): void {
    for (const [key, item] of this.items) {
      if (this.used.has(key)) continue;
      item.dispose();
      this.items.delete(key);
    }
  }
  dispose(): void {
    for (const item of this.items.values()) item.dispose();
    this.items.clear();
  }
}
