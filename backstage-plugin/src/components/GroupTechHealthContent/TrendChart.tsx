import { useTheme } from '@material-ui/core/styles';
import type { TrendPoint } from '../../api/types';
import { formatPercent } from '../common';
import { DEFAULT_BOX, gridY, linePath, seriesPositions } from './trendGeometry';

const SERIES = [
  {
    key: 'golden',
    label: 'Golden',
    color: '#d4a017',
    value: (p: TrendPoint) => p.goldenPercent,
  },
  {
    key: 'eligible',
    label: 'Eligible',
    color: '#1976d2',
    value: (p: TrendPoint) => p.eligiblePercent,
  },
] as const;

function describe(points: TrendPoint[], groupName: string, days: number) {
  const first = points[0];
  const last = points[points.length - 1];
  const change = (series: (typeof SERIES)[number]) =>
    points.length > 1
      ? `${series.label} from ${formatPercent(series.value(first))} to ${formatPercent(series.value(last))}`
      : `${series.label} ${formatPercent(series.value(last))}`;
  return `Golden and eligible share of ${groupName} over the last ${days} days, ${
    points.length
  } daily snapshot${points.length === 1 ? '' : 's'} from ${first.date} to ${last.date}: ${SERIES.map(
    change,
  ).join('; ')}.`;
}

/** Golden % and eligible % per day, drawn as an SVG line chart. */
export const TrendChart = ({
  points,
  groupName,
  days,
}: {
  points: TrendPoint[];
  groupName: string;
  days: number;
}) => {
  const theme = useTheme();
  const box = DEFAULT_BOX;
  const text = theme.palette.text.secondary;
  const label = describe(points, groupName, days);
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${box.width} ${box.height + 24}`}
      width="100%"
      style={{ maxWidth: box.width, display: 'block' }}
      data-testid="trend-chart"
    >
      <title>{label}</title>
      {[0, 25, 50, 75, 100].map(percent => (
        <g key={percent}>
          <line
            x1={box.left}
            x2={box.width - box.right}
            y1={gridY(percent)}
            y2={gridY(percent)}
            stroke={theme.palette.divider}
          />
          <text
            x={box.left - 6}
            y={gridY(percent) + 4}
            textAnchor="end"
            fontSize={11}
            fill={text}
          >
            {percent}%
          </text>
        </g>
      ))}
      <text x={box.left} y={box.height - 8} fontSize={11} fill={text}>
        {first.date}
      </text>
      {points.length > 1 && (
        <text
          x={box.width - box.right}
          y={box.height - 8}
          textAnchor="end"
          fontSize={11}
          fill={text}
        >
          {last.date}
        </text>
      )}
      {SERIES.map(series => {
        const positions = seriesPositions(points, series.value, box);
        return (
          <g key={series.key} data-series={series.key}>
            {positions.length > 1 && (
              <path
                d={linePath(positions)}
                fill="none"
                stroke={series.color}
                strokeWidth={2}
              />
            )}
            {positions.map((p, index) => (
              <circle
                key={points[index].date}
                cx={p.x}
                cy={p.y}
                r={3}
                fill={series.color}
              >
                <title>{`${points[index].date}: ${series.label} ${formatPercent(series.value(points[index]))}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
      {SERIES.map((series, index) => (
        <g
          key={series.key}
          transform={`translate(${box.left + index * 110}, ${box.height + 14})`}
        >
          <rect width={12} height={3} y={-4} fill={series.color} />
          <text x={18} fontSize={12} fill={theme.palette.text.primary}>
            {series.label} %
          </text>
        </g>
      ))}
    </svg>
  );
};
