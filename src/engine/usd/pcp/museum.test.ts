/**
 * OpenUSD's own composition test suite, the Pcp "museum": for every registered case, the prim
 * stacks, child and property names, property stacks, variant selections, time offsets and
 * relationship targets Simloop composes must equal, line for line, the baseline OpenUSD ships
 * (vendored unchanged in testdata/openusd/pcpMuseum with its licence).
 *
 * The cases below that are known to differ are listed with the reason; `it.fails` keeps them
 * honest: if one starts to pass, the suite fails until it is moved out of the list.
 */
import { describe, expect, it } from 'vitest';
import { museumBaseline, museumTests, runMuseumTest } from '../../testing/pcpMuseum.ts';

const RELOCATES = 'relocates are not composed (Simloop warns and leaves the prims where they are authored)';

/** Case → why Simloop's result differs from OpenUSD's baseline. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  BasicOwner: 'layer ownership (the `owner` session-layer feature of Presto) is not supported',
  ExpressionsInPayloads: 'variable expressions in asset paths are not evaluated',
  ExpressionsInReferences: 'variable expressions in asset paths are not evaluated',
  ExpressionsInSublayers: 'variable expressions in asset paths are not evaluated',
  ExpressionsInVariantSelections: 'variable expressions in variant selections are not evaluated',
  ImpliedAndAncestralInherits_graph: 'dumps Pcp’s internal graph (--dumpPath), which has no equivalent here',
  BasicRelocateToAnimInterface: RELOCATES,
  BasicRelocateToAnimInterfaceAsNewRootPrim: RELOCATES,
  ErrorArcCycle: RELOCATES,
  ErrorInvalidConflictingRelocates: RELOCATES,
  ErrorInvalidInstanceTargetPath: RELOCATES,
  ErrorInvalidPreRelocateTargetPath: RELOCATES,
  ErrorOpinionAtRelocationSource: RELOCATES,
  PayloadsAndAncestralArcs2: RELOCATES,
  PayloadsAndAncestralArcs3_allpayloads: RELOCATES,
  PayloadsAndAncestralArcs3_refpayloadsonly: RELOCATES,
  RelocatePrimsWithSameName: RELOCATES,
  RelocateToNone: RELOCATES,
  SubrootReferenceAndRelocates: RELOCATES,
  TrickyConnectionToRelocatedAttribute: RELOCATES,
  TrickyInheritsAndRelocates: RELOCATES,
  TrickyInheritsAndRelocates2: RELOCATES,
  TrickyInheritsAndRelocates3: RELOCATES,
  TrickyInheritsAndRelocates4: RELOCATES,
  TrickyInheritsAndRelocates5: RELOCATES,
  TrickyInheritsAndRelocatesToNewRootPrim: RELOCATES,
  TrickyLocalClassHierarchyWithRelocates: RELOCATES,
  TrickyMultipleRelocations: RELOCATES,
  TrickyMultipleRelocations2: RELOCATES,
  TrickyMultipleRelocations3: RELOCATES,
  TrickyMultipleRelocations4: RELOCATES,
  TrickyMultipleRelocations5: RELOCATES,
  TrickyMultipleRelocationsAndClasses: RELOCATES,
  TrickyMultipleRelocationsAndClasses2: RELOCATES,
  TrickyRelocatedTargetInVariant: RELOCATES,
  TrickyRelocationOfPrimFromPayload: RELOCATES,
  TrickyRelocationOfPrimFromVariant: RELOCATES,
  TrickyRelocationSquatter: RELOCATES,
  TrickySpecializesAndRelocates: RELOCATES,
  TrickySpookyInherits: RELOCATES,
  TrickySpookyInheritsInSymmetricArmRig: RELOCATES,
  TrickySpookyInheritsInSymmetricBrowRig: RELOCATES,
  TrickySpookyVariantSelection: RELOCATES,
  TrickySpookyVariantSelectionInClass: RELOCATES,
  TrickyVariantOverrideOfRelocatedPrim: RELOCATES,
  TypicalReferenceToChargroupWithRename: RELOCATES,
};

const tests = museumTests();

describe('OpenUSD composition museum (pxr/usd/pcp/testenv/testPcpMuseum_*)', () => {
  it('vendors every registered case with its baseline', () => {
    expect(tests.length).toBe(135);
    for (const name of Object.keys(KNOWN_DIFFERENCES)) expect(tests.some((t) => t.name === name), name).toBe(true);
  });

  for (const test of tests) {
    const known = KNOWN_DIFFERENCES[test.name];
    if (known) {
      it.fails(`${test.name} differs: ${known}`, () => {
        expect(runMuseumTest(test)).toBe(museumBaseline(test));
      });
    } else {
      it(`${test.name} composes as OpenUSD does`, () => {
        expect(runMuseumTest(test)).toBe(museumBaseline(test));
      });
    }
  }
});
