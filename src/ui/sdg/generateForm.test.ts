import { describe, expect, it } from 'vitest';
import { availableDestinations, datasetNameProblem, defaultGenerateForm, jobFromForm, nextDatasetName, sceneStem } from './generateForm.ts';

describe('the generate form', () => {
  it('becomes a job the engine accepts, formats in canonical order', () => {
    const form = { ...defaultGenerateForm(), frames: '3', seed: '7', width: '128', height: '96', workers: '2', formats: ['basic', 'coco'] as ('basic' | 'coco')[] };
    const result = jobFromForm(form, 'tabletop.usda', 'tabletop.randomize.yaml', 'opfs:datasets/x');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.job).toMatchObject({ scene: 'tabletop.usda', randomize: 'tabletop.randomize.yaml', frames: 3, seed: 7, width: 128, height: 96, workers: 2, formats: ['coco', 'basic'], quality: 'default', shadows: true, resume: false });
  });

  it('carries the quality preset: fast draws without shadows, as simloop generate --quality fast does', () => {
    const result = jobFromForm({ ...defaultGenerateForm(), quality: 'fast' }, 'tabletop.usda', null, 'o');
    expect(result).toMatchObject({ ok: true, job: { quality: 'fast', shadows: false } });
  });

  it('names the field that is wrong', () => {
    const form = defaultGenerateForm();
    expect(jobFromForm({ ...form, frames: '' }, 's.usda', null, 'o')).toEqual({ ok: false, error: 'frames: enter a whole number' });
    expect(jobFromForm({ ...form, width: '1.5' }, 's.usda', null, 'o')).toEqual({ ok: false, error: 'width: enter a whole number' });
    expect(jobFromForm({ ...form, formats: [] }, 's.usda', null, 'o')).toEqual({ ok: false, error: 'formats: choose at least one format' });
    const zero = jobFromForm({ ...form, frames: '0' }, 's.usda', null, 'o');
    expect(zero.ok).toBe(false);
    if (!zero.ok) expect(zero.error).toMatch(/^generate: frames: at least 1 frame/);
    const wide = jobFromForm({ ...form, width: '9000' }, 's.usda', null, 'o');
    if (!wide.ok) expect(wide.error).toMatch(/width: at most 8192 pixels/);
    expect(wide.ok).toBe(false);
    expect(jobFromForm({ ...form, datasetName: '../up' }, 's.usda', null, 'o')).toMatchObject({ ok: false, error: expect.stringMatching(/^dataset name:/) });
  });

  it('a picked folder needs no dataset name', () => {
    expect(jobFromForm({ ...defaultGenerateForm('directory'), datasetName: '' }, 's.usda', null, 'folder').ok).toBe(true);
  });

  it('offers OPFS first where it exists, a folder where the picker exists, a zip everywhere', () => {
    expect(availableDestinations({ opfs: true, directoryPicker: true })).toEqual(['opfs', 'directory', 'zip']);
    expect(availableDestinations({ opfs: false, directoryPicker: false })).toEqual(['zip']);
  });

  it('dataset names: plain folder names, numbered after the scene', () => {
    expect(datasetNameProblem('tabletop-001')).toBeNull();
    expect(datasetNameProblem('')).toMatch(/enter a name/);
    expect(datasetNameProblem('a/b')).toMatch(/letters, digits/);
    expect(datasetNameProblem('.hidden')).toMatch(/starting with a letter or digit/);
    expect(nextDatasetName('tabletop', [])).toBe('tabletop-001');
    expect(nextDatasetName('tabletop', ['tabletop-001', 'tabletop-002'])).toBe('tabletop-003');
    expect(nextDatasetName('my scene', [])).toBe('my_scene-001');
    expect(sceneStem('tabletop.usda')).toBe('tabletop');
  });
});
