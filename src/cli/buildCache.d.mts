/** Types of buildCache.mjs (plain JavaScript: bin/simloop.mjs loads it before any TypeScript). */
export function fileStamp(path: string): string | null;
export function newBuildName(): string;
export function readCurrentBuild(cache: string, format: number, root: string): { build: string; files: Record<string, unknown> } | undefined;
export function recordCurrentBuild(cache: string, format: number, root: string, build: string, files: Record<string, string | null>): void;
