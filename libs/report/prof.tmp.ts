import { ReportReader, buildReport, renderPlots, formatReport, writeReport } from './src/index.ts';
const by = process.argv[2];
for (let i = 0; i < 8; i++) {
  const reader = ReportReader.open('/tmp/rp/big.db');
  const report = buildReport(reader, { sweep: 'big', ...(by ? { by } : {}) });
  reader.close();
  for (const f of ['md', 'csv', 'json'] as const) formatReport(report, f);
  const plots = await renderPlots(report);
  await writeReport(report, '/tmp/rp/profout', { plots });
}
