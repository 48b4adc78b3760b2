import { describe, expect, it } from 'vitest';

import { TtyProgress } from '../src/progress/tty.js';

/** A terminal that records what was written and reports `columns`. */
function terminal(columns: number): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = { columns, write: (chunk: string) => ((written += chunk), true) } as unknown as NodeJS.WriteStream;
  // Strip colours and cursor movement: what is left is the lines as a user reads them.
  return { stream, text: () => written.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') };
}

function drawOneStep(columns: number): string[] {
  const { stream, text } = terminal(columns);
  const view = new TtyProgress(stream);
  const location = { file: 'Dockerfile', line: 4 };
  view.onEvent({ type: 'step-started', step: '#1', name: '[2/2] RUN echo a fairly long command line for the step', location, time: Date.now() });
  view.onEvent({ type: 'step-done', step: '#1', name: '[2/2] RUN echo a fairly long command line for the step', seconds: 1.5, time: Date.now() });
  view.stop();
  return text().trimEnd().split('\n').slice(-1);
}

describe('TtyProgress', () => {
  it('fits each step line to the terminal width, the status at the right edge', () => {
    const [line] = drawOneStep(40);
    expect(line).toBe(' => [2/2] RUN echo a fairly long … 1.5s');
    expect(line).toHaveLength(39);
  });

  it('draws 80 columns on a terminal that does not say its width (0 columns)', () => {
    const [line] = drawOneStep(0);
    expect(line).toBe(` => [2/2] RUN echo a fairly long command line for the step${' '.repeat(17)}1.5s`);
    expect(line).toHaveLength(79);
  });
});
