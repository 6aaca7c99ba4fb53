import { useTheme } from '@material-ui/core/styles';
import type { BurnupPoint } from '../../api/types';
import { formatTimestamp } from '../common';
import {
  BURNUP_BOX,
  burnupScale,
  countTicks,
  stepPath,
} from './burnupGeometry';

const SERIES = [
  {
    key: 'merged',
    label: 'Merged',
    color: '#2e7d32',
    value: (p: BurnupPoint) => p.merged,
  },
  {
    key: 'opened',
    label: 'Open',
    color: '#1976d2',
    value: (p: BurnupPoint) => p.opened,
  },
  {
    key: 'failed',
    label: 'Failed',
    color: '#d32f2f',
    value: (p: BurnupPoint) => p.failed,
  },
] as const;

function describe(points: BurnupPoint[], scope: number) {
  const last = points[points.length - 1];
  return `Burn-up of ${scope} component${scope === 1 ? '' : 's'} from ${formatTimestamp(
    points[0].at,
  )} to ${formatTimestamp(last.at)}: now ${last.merged} merged, ${
    last.opened
  } open, ${last.failed} failed.`;
}

/** Merged, open and failed changes over time against the change's scope, as SVG steps. */
export const BurnupChart = ({
  points,
  scope,
}: {
  points: BurnupPoint[];
  scope: number;
}) => {
  const theme = useTheme();
  const box = BURNUP_BOX;
  const scale = burnupScale(points, scope, box);
  const text = theme.palette.text.secondary;
  const label = describe(points, scope);
  const first = points[0];
  const last = points[points.length - 1];
  const right = box.width - box.right;
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${box.width} ${box.height + 24}`}
      width="100%"
      style={{ maxWidth: box.width, display: 'block' }}
      data-testid="burnup-chart"
    >
      <title>{label}</title>
      {countTicks(scale.max).map(count => (
        <g key={count}>
          <line
            x1={box.left}
            x2={right}
            y1={scale.y(count)}
            y2={scale.y(count)}
            stroke={theme.palette.divider}
          />
          <text
            x={box.left - 6}
            y={scale.y(count) + 4}
            textAnchor="end"
            fontSize={11}
            fill={text}
          >
            {count}
          </text>
        </g>
      ))}
      <line
        data-series="scope"
        x1={box.left}
        x2={right}
        y1={scale.y(scope)}
        y2={scale.y(scope)}
        stroke={theme.palette.text.primary}
        strokeDasharray="4 4"
      >
        <title>{`Scope: ${scope} components`}</title>
      </line>
      <text
        x={right}
        y={scale.y(scope) - 4}
        textAnchor="end"
        fontSize={11}
        fill={text}
      >
        {`scope ${scope}`}
      </text>
      <text x={box.left} y={box.height - 8} fontSize={11} fill={text}>
        {formatTimestamp(first.at)}
      </text>
      {points.length > 1 && (
        <text
          x={right}
          y={box.height - 8}
          textAnchor="end"
          fontSize={11}
          fill={text}
        >
          {formatTimestamp(last.at)}
        </text>
      )}
      {SERIES.map(series => (
        <g key={series.key} data-series={series.key}>
          {points.length > 1 && (
            <path
              d={stepPath(points, series.value, scale)}
              fill="none"
              stroke={series.color}
              strokeWidth={2}
            />
          )}
          {points.map(point => (
            <circle
              key={point.at}
              cx={scale.x(point.at)}
              cy={scale.y(series.value(point))}
              r={2.5}
              fill={series.color}
            >
              <title>{`${formatTimestamp(point.at)}: ${series.value(point)} ${series.label.toLocaleLowerCase('en-US')}`}</title>
            </circle>
          ))}
        </g>
      ))}
      {[...SERIES, { key: 'scope', label: 'Scope', color: 'dashed' }].map(
        (series, index) => (
          <g
            key={series.key}
            transform={`translate(${box.left + index * 100}, ${box.height + 14})`}
          >
            {series.color === 'dashed' ? (
              <line
                x1={0}
                x2={12}
                y1={-3}
                y2={-3}
                stroke={theme.palette.text.primary}
                strokeDasharray="4 2"
              />
            ) : (
              <rect width={12} height={3} y={-4} fill={series.color} />
            )}
            <text x={18} fontSize={12} fill={theme.palette.text.primary}>
              {series.label}
            </text>
          </g>
        ),
      )}
    </svg>
  );
};
