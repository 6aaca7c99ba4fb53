import {
  Content,
  ContentHeader,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import GetAppIcon from '@material-ui/icons/GetApp';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import { fetchAllPages } from '../../hooks/fetchAllPages';
import { downloadText, eligibilityCsv } from './csv';
import {
  EligibilityFilters,
  NO_FILTERS,
  type EligibilityFilterValues,
} from './EligibilityFilters';
import { EligibilitySummaryBar } from './EligibilitySummaryBar';
import { EligibilityTable } from './EligibilityTable';
import { toQuery, useEligibilityPages } from './useEligibilityPages';

const EXPORT_PAGE_SIZE = 500;

/** Which components may receive automated fleet changes, and what blocks the others. */
export const FleetEligibilityContent = () => {
  const api = useApi(techHealthApiRef);
  const tracks = useAsync(() => api.getTracks(), [api]);
  const [filters, setFilters] = useState<EligibilityFilterValues>(NO_FILTERS);
  const page = useEligibilityPages(filters);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<Error>();

  const exportCsv = async () => {
    setExporting(true);
    setExportError(undefined);
    try {
      const rows = await fetchAllPages(cursor =>
        api.getEligibility({
          ...toQuery(filters),
          limit: EXPORT_PAGE_SIZE,
          cursor,
        }),
      );
      const trackIds = (tracks.value ?? []).map(track => track.id);
      downloadText(
        'fleet-eligibility.csv',
        eligibilityCsv(rows, trackIds),
        'text/csv;charset=utf-8',
      );
    } catch (e) {
      setExportError(e as Error);
    } finally {
      setExporting(false);
    }
  };

  if (tracks.loading) {
    return <Progress />;
  }
  if (tracks.error) {
    return (
      <ResponseErrorPanel
        error={tracks.error}
        title={`Could not load the tracks: ${tracks.error.message}`}
      />
    );
  }
  const trackList = tracks.value ?? [];

  return (
    <>
      <ContentHeader title="Fleet eligibility">
        <Button
          variant="outlined"
          startIcon={<GetAppIcon />}
          onClick={exportCsv}
          disabled={exporting}
        >
          {exporting ? 'Exporting…' : 'Export CSV'}
        </Button>
      </ContentHeader>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <EligibilityFilters
            tracks={trackList}
            initial={filters}
            onApply={setFilters}
          />
        </Grid>
        {exportError && (
          <Grid item xs={12}>
            <ResponseErrorPanel
              error={exportError}
              title={`Export failed: ${exportError.message}`}
            />
          </Grid>
        )}
        <Grid item xs={12}>
          {page.loading && <Progress />}
          {page.error && (
            <ResponseErrorPanel
              error={page.error}
              title={`Could not load fleet eligibility: ${page.error.message}`}
            />
          )}
          {page.value && (
            <>
              <EligibilitySummaryBar summary={page.value.summary} />
              <Box mt={2}>
                <EligibilityTable
                  rows={page.value.items}
                  tracks={trackList}
                  title={`Page ${page.pageNumber}`}
                />
              </Box>
            </>
          )}
          <Box
            display="flex"
            justifyContent="flex-end"
            mt={1}
            style={{ gap: 8 }}
          >
            <Button
              onClick={page.previous}
              disabled={!page.hasPrevious || page.loading}
            >
              Previous page
            </Button>
            <Button
              onClick={page.next}
              disabled={!page.hasNext || page.loading}
            >
              Next page
            </Button>
          </Box>
        </Grid>
      </Grid>
    </>
  );
};

/** The routable page: header and content. */
export const FleetEligibilityPage = () => (
  <Page themeId="tool">
    <Header
      title="Fleet eligibility"
      subtitle="Which components may receive automated changes today, and why not"
    />
    <Content>
      <FleetEligibilityContent />
    </Content>
  </Page>
);
