import type { EligibilityRow } from '../../api/types';

/**
 * One CSV field: quoted when it holds a separator, quote or line break; a leading `=`, `+`,
 * `-` or `@` is prefixed with `'` so spreadsheets do not run it as a formula.
 */
export function csvField(value: string | number | boolean | null | undefined) {
  if (value === null || value === undefined) {
    return '';
  }
  let text = String(value);
  if (/^[=+\-@]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Eligibility rows as CSV, one column per track level; RFC 4180 line ends. */
export function eligibilityCsv(rows: EligibilityRow[], trackIds: string[]) {
  const header = [
    'entity',
    'title',
    'owner',
    'repository',
    ...trackIds.map(id => `level:${id}`),
    'technology',
    'technologyVersion',
    'eligible',
    'wave',
    'blockingCodes',
    'blockingMessages',
  ];
  const lines = rows.map(row =>
    [
      row.entity,
      row.title,
      row.owner,
      row.repository?.url,
      ...trackIds.map(id => row.levels[id] ?? ''),
      row.technology?.id,
      row.technology?.version,
      row.eligible,
      row.wave,
      row.blocking.map(reason => reason.code).join('; '),
      row.blocking.map(reason => reason.message).join('; '),
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}

/** Offers text as a file download in the browser. */
export function downloadText(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
