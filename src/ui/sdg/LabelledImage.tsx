/**
 * An image with its labels drawn over it: the colour pixels scaled to fit, the instance-mask tint,
 * tight boxes (solid), loose boxes (dashed) and a caption per object. The geometry comes from
 * overlay.ts; this only paints it, and marks on the canvas what it drew (`data-tight-boxes`,
 * `data-loose-boxes`, `data-boxes`: the tight boxes as JSON) for browser tests.
 */
import { useEffect, useRef } from 'react';
import { type OverlayObject, fitScale, maskTint, overlayFor } from './overlay.ts';
import type { OverlayToggles } from './sdgState.ts';

export interface LabelledImageProps {
  width: number;
  height: number;
  /** RGBA8, top row first; null draws an empty frame. */
  rgba: Uint8Array | Uint8ClampedArray | null;
  objects: readonly OverlayObject[];
  /** Instance id per pixel, or null. */
  mask: Uint32Array | null;
  toggles: OverlayToggles;
  maxWidth: number;
  maxHeight: number;
  label: string;
  testId: string;
  /** Shown in `data-frame`, so tests know which frame is on screen. */
  frame: number;
}

const CAPTION_FONT = '11px system-ui, sans-serif';

function imageCanvas(width: number, height: number, pixels: Uint8Array | Uint8ClampedArray): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  // ImageData needs its own, unshared buffer.
  const data = new Uint8ClampedArray(width * height * 4);
  data.set(pixels.subarray(0, data.length));
  canvas.getContext('2d')!.putImageData(new ImageData(data, width, height), 0, 0);
  return canvas;
}

export function LabelledImage({ width, height, rgba, objects, mask, toggles, maxWidth, maxHeight, label, testId, frame }: LabelledImageProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const scale = fitScale(width, height, maxWidth, maxHeight);
  const displayWidth = Math.max(1, Math.round(width * scale));
  const displayHeight = Math.max(1, Math.round(height * scale));

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#111418';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = scale < 1;
    if (rgba) ctx.drawImage(imageCanvas(width, height, rgba), 0, 0, displayWidth, displayHeight);
    if (toggles.mask && mask && mask.length === width * height) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(imageCanvas(width, height, maskTint(mask, width, height)), 0, 0, displayWidth, displayHeight);
    }
    const sx = displayWidth / width;
    const overlay = overlayFor(objects, { scale: sx, tight: toggles.tight, loose: toggles.loose, canvasWidth: displayWidth, canvasHeight: displayHeight, captionHeight: 12 });
    for (const rect of overlay.rects) {
      ctx.save();
      ctx.strokeStyle = rect.colour;
      if (rect.kind === 'loose') {
        ctx.lineWidth = 1;
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(rect.x + 0.5, rect.y + 0.5, Math.max(0, rect.width - 1), Math.max(0, rect.height - 1));
      } else {
        ctx.lineWidth = 2;
        ctx.strokeRect(rect.x + 1, rect.y + 1, Math.max(0, rect.width - 2), Math.max(0, rect.height - 2));
      }
      ctx.restore();
    }
    ctx.font = CAPTION_FONT;
    ctx.textBaseline = 'bottom';
    for (const caption of overlay.captions) {
      const w = ctx.measureText(caption.text).width + 4;
      ctx.fillStyle = 'rgb(0 0 0 / 0.65)';
      ctx.fillRect(caption.x, caption.y - 12, w, 12);
      ctx.fillStyle = caption.colour;
      ctx.fillText(caption.text, caption.x + 2, caption.y);
    }
    const tight = overlay.rects.filter((r) => r.kind === 'tight');
    canvas.dataset.tightBoxes = String(tight.length);
    canvas.dataset.looseBoxes = String(overlay.rects.length - tight.length);
    canvas.dataset.boxes = JSON.stringify(tight.map((r) => ({ path: r.path, label: r.label, box: r.box })));
    canvas.dataset.mask = toggles.mask && mask ? 'shown' : 'none';
    canvas.dataset.frame = String(frame);
  }, [width, height, rgba, objects, mask, toggles, scale, displayWidth, displayHeight, frame]);

  return <canvas ref={ref} className="labelled-image" width={displayWidth} height={displayHeight} role="img" aria-label={label} data-testid={testId} />;
}

export function OverlayToggleBar({ toggles, onChange, hasMask }: { toggles: OverlayToggles; onChange: (patch: Partial<OverlayToggles>) => void; hasMask: boolean }) {
  return (
    <div className="sdg-toggles">
      <label>
        <input type="checkbox" checked={toggles.tight} onChange={(e) => onChange({ tight: e.target.checked })} /> Tight boxes
      </label>
      <label>
        <input type="checkbox" checked={toggles.loose} onChange={(e) => onChange({ loose: e.target.checked })} /> Loose boxes
      </label>
      <label>
        <input type="checkbox" checked={toggles.mask} disabled={!hasMask} onChange={(e) => onChange({ mask: e.target.checked })} /> Instance mask
      </label>
    </div>
  );
}
