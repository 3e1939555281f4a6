import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Descriptor, Digest, HistoryEntry } from '../../image/index.ts';
import { createdByCell, historyRows, renderHistory } from './image-history.ts';

const digest = (c: string): Digest => `sha256:${c.repeat(64)}`;
const layer = (c: string, size: number): Descriptor => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest: digest(c),
  size,
});
const image = { id: digest('f'), layers: [layer('a', 3_000_000), layer('b', 1200)] };
const NOW = Date.parse('2024-05-04T00:00:00Z');
const view = { noTrunc: false, quiet: false, now: NOW };

describe('historyRows', () => {
  it('gives each step that made a layer the next layer, newest first, the image ID on top', () => {
    const history: HistoryEntry[] = [
      { created: '2024-05-01T00:00:00Z', createdBy: 'ADD rootfs.tar /', emptyLayer: false },
      { created: '2024-05-01T00:00:01Z', createdBy: 'ENV PATH=/bin', emptyLayer: true },
      { created: '2024-05-03T00:00:00Z', createdBy: 'RUN make', comment: 'buildkit', emptyLayer: false },
      { createdBy: 'CMD ["/bin/sh"]', emptyLayer: true },
    ];
    assert.deepEqual(historyRows(image, history), [
      {
        id: image.id,
        created: null,
        createdBy: 'CMD ["/bin/sh"]',
        size: 0,
        comment: '',
        emptyLayer: true,
        layer: null,
      },
      {
        id: null,
        created: '2024-05-03T00:00:00Z',
        createdBy: 'RUN make',
        size: 1200,
        comment: 'buildkit',
        emptyLayer: false,
        layer: digest('b'),
      },
      {
        id: null,
        created: '2024-05-01T00:00:01Z',
        createdBy: 'ENV PATH=/bin',
        size: 0,
        comment: '',
        emptyLayer: true,
        layer: null,
      },
      {
        id: null,
        created: '2024-05-01T00:00:00Z',
        createdBy: 'ADD rootfs.tar /',
        size: 3_000_000,
        comment: '',
        emptyLayer: false,
        layer: digest('a'),
      },
    ]);
  });

  it('shows one row per layer, with nothing known about it, when the config has no history', () => {
    const rows = historyRows(image, []);
    assert.deepEqual(
      rows.map((r) => [r.id, r.layer, r.size, r.createdBy, r.created]),
      [
        [image.id, digest('b'), 1200, '', null],
        [null, digest('a'), 3_000_000, '', null],
      ],
    );
  });

  it('gives layers the history does not account for rows of their own, above it', () => {
    const rows = historyRows(image, [{ createdBy: 'ADD a /', emptyLayer: false }]);
    assert.deepEqual(
      rows.map((r) => [r.createdBy, r.layer]),
      [
        ['', digest('b')],
        ['ADD a /', digest('a')],
      ],
    );
  });

  it('refuses a history with more layer-making steps than the image has layers', () => {
    const step = { createdBy: 'RUN x', emptyLayer: false };
    assert.throws(() => historyRows(image, [step, step, step]), {
      code: 'ERR_IMAGE_CONFIG_INVALID',
      message: /history has 3 steps that made a layer, its manifest 2 layers/,
    });
  });
});

describe('renderHistory', () => {
  const rows = historyRows(image, [
    { created: '2024-05-01T00:00:00Z', createdBy: 'ADD rootfs.tar /', emptyLayer: false },
    { created: '2024-05-03T22:00:00Z', createdBy: `RUN\t${'x'.repeat(60)}`, emptyLayer: false },
  ]);

  it('prints docker-like columns: short ID on top, <missing> below, ages from the clock given', () => {
    const lines = renderHistory(rows, view).split('\n');
    assert.match(lines[0] ?? '', /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(lines[1] ?? '', /^ffffffffffff\s+2 hours ago\s+RUN x{40}…\s+1\.20 kB$/);
    assert.match(lines[2] ?? '', /^<missing>\s+3 days ago\s+ADD rootfs\.tar \/\s+3\.00 MB$/);
    assert.equal(lines[3], '');
  });

  it('shows the full ID and CREATED BY with noTrunc, and only the IMAGE column with quiet', () => {
    const full = renderHistory(rows, { ...view, noTrunc: true });
    assert.match(full, new RegExp(`^${image.id}\\s+2 hours ago\\s+RUN x{60}\\s`, 'm'));
    assert.equal(renderHistory(rows, { ...view, quiet: true }), 'ffffffffffff\n<missing>\n');
    assert.equal(renderHistory(rows, { ...view, quiet: true, noTrunc: true }), `${image.id}\n<missing>\n`);
  });

  it('shows an unknown creation time as unknown', () => {
    assert.match(renderHistory(historyRows(image, []), view), /^ffffffffffff\s+unknown\s+1\.20 kB$/m);
  });
});

describe('createdByCell', () => {
  it('keeps 45 characters or fewer as they are, and cuts longer ones to 45 with an ellipsis', () => {
    const exact = 'y'.repeat(45);
    assert.equal(createdByCell(exact, false), exact);
    assert.equal(createdByCell(`${exact}z`, false), `${'y'.repeat(44)}…`);
    assert.equal([...createdByCell('é'.repeat(50), false)].length, 45);
    assert.equal(createdByCell(`${exact}z`, true), `${exact}z`);
  });

  it('puts a multi-line command on one line', () => {
    assert.equal(createdByCell('RUN <<EOF\n\techo hi\nEOF', true), 'RUN <<EOF echo hi EOF');
  });
});
