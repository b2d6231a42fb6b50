/**
 * Where a policy fails, for one evaluation run: how its episodes ended (each outcome's share with
 * its interval), and its success rate by each randomized factor, one small bar row per factor
 * (a bar per bin, the Wilson interval as a whisker, the run's overall rate as a dashed line).
 * The numbers and the layout come from factorChart.ts; this file only draws them.
 */
import { useMemo, useState } from 'react';
import type { OutcomeShare } from '../../engine/eval/factors.ts';
import type { EvaluationSummary } from '../../engine/policy/closedLoop.ts';
import { type Outcome, OUTCOME_WORDS } from '../../engine/tasks/outcome.ts';
import { type ChartFactor, chartFactors, FACTOR_CHART, factorBars, FACTORS_SHOWN, percent } from './factorChart.ts';

const outcomeWords = (outcome: string): string => OUTCOME_WORDS[outcome as Outcome] ?? outcome;

function OutcomeShares({ shares }: { shares: readonly OutcomeShare[] }) {
  return (
    <table className="policy-outcome-shares" data-testid="policy-outcome-shares">
      <caption>How the episodes ended</caption>
      <thead>
        <tr>
          <th scope="col">outcome</th>
          <th scope="col">episodes</th>
          <th scope="col">share</th>
          <th scope="col">95% CI</th>
        </tr>
      </thead>
      <tbody>
        {shares.map((s) => (
          <tr key={s.outcome}>
            <td>{outcomeWords(s.outcome)}</td>
            <td>{s.episodes}</td>
            <td>{percent(s.share)}</td>
            <td>
              {percent(s.ci95[0])}–{percent(s.ci95[1])}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FactorRow({ item, index, overall }: { item: ChartFactor; index: number; overall: number }) {
  const g = useMemo(() => factorBars(item.factor.bins, overall), [item.factor.bins, overall]);
  const { left, right } = g.plot;
  return (
    <figure className="factor-row" data-testid={`policy-factor-${index}`}>
      <figcaption title={item.factor.factor}>
        {item.name} <span className="factor-spread">spread {percent(item.spread)}</span>
      </figcaption>
      <svg width={g.width} height={g.height} role="img" aria-label={`Success rate by ${item.name}, ${item.factor.bins.length} bins`}>
        {g.grid.map((line) => (
          <g key={line.label}>
            <line className="factor-grid" x1={left} x2={right} y1={line.y} y2={line.y} />
            <text className="factor-axis" x={left - 3} y={line.y + 3} textAnchor="end">
              {line.label}
            </text>
          </g>
        ))}
        {g.bars.map((b, i) => (
          <g key={i} data-testid="policy-factor-bin">
            <title>{b.title}</title>
            <rect className="factor-bar" x={b.x} y={b.y} width={b.width} height={b.height} />
            <line className="factor-whisker" x1={b.centre} x2={b.centre} y1={b.whisker.top} y2={b.whisker.bottom} />
            <line className="factor-whisker" x1={b.centre - FACTOR_CHART.cap} x2={b.centre + FACTOR_CHART.cap} y1={b.whisker.top} y2={b.whisker.top} />
            <line className="factor-whisker" x1={b.centre - FACTOR_CHART.cap} x2={b.centre + FACTOR_CHART.cap} y1={b.whisker.bottom} y2={b.whisker.bottom} />
            <text className="factor-label" x={b.centre} y={g.labelY} textAnchor="middle">
              {b.label}
            </text>
            <text className="factor-count" x={b.centre} y={g.countY} textAnchor="middle">
              {b.count}
            </text>
          </g>
        ))}
        {g.reference !== null && <line className="factor-reference" x1={left} x2={right} y1={g.reference} y2={g.reference} />}
      </svg>
    </figure>
  );
}

/** One run's outcome shares and success by factor, the factors with the widest spread first. */
export function FactorChart({ summary }: { summary: EvaluationSummary }) {
  const [all, setAll] = useState(false);
  const { shown, total } = useMemo(() => chartFactors(summary.by_factor, { all }), [summary.by_factor, all]);
  return (
    <details className="policy-failures" open>
      <summary>Where it fails</summary>
      <OutcomeShares shares={summary.by_outcome} />
      <div className="factor-chart" data-testid="policy-factor-chart">
        <p className="robot-note">
          Success rate by randomized factor: bars are each bin's rate, whiskers its 95% interval, the dashed line the run's {percent(summary.success_rate)}. Widest spread first; few episodes per bin make a hint, not a finding.
        </p>
        {total === 0 && <p>No randomized factor took more than one value in these episodes.</p>}
        <div className="factor-rows">
          {shown.map((item, i) => (
            <FactorRow key={item.factor.factor} item={item} index={i} overall={summary.success_rate} />
          ))}
        </div>
        {total > FACTORS_SHOWN && (
          <button type="button" aria-pressed={all} onClick={() => setAll(!all)}>
            {all ? `Show the ${FACTORS_SHOWN} widest` : `Show all ${total} factors`}
          </button>
        )}
      </div>
    </details>
  );
}
