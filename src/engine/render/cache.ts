/** GPU resources made once per key and disposed together (textures by name, label materials by id). */
export class DisposingCache<K, V extends { dispose(): void }> {
  private readonly items = new Map<K, V>();
  constructor(private readonly make: (key: K) => V) {}
  get(key: K): V {
    let item = this.items.get(key);
    if (!item) {
      item = this.make(key);
      this.items.set(key, item);
    }
    return item;
  }
  dispose(): void {
    for (const item of this.items.values()) item.dispose();
    this.items.clear();
  }
}
