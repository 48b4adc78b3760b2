import type { BuildEvent } from '@tsbuild/builder';
import chalk from 'chalk';

const REDRAW_MS = 100;
const LOG_LINES = 6;

interface StepView {
  name: string;
  started: number;
  state: 'running' | 'cached' | 'done' | 'error';
  seconds?: number;
  logs: string[];
}

/**
 * A live view like buildx's on a terminal: one line per step with a timer, CACHED / DONE, the last
 * lines of each running step's output (parallel stages side by side), redrawn in place.
 */
export class TtyProgress {
  private readonly steps = new Map<string, StepView>();
  private readonly notes: string[] = [];
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  readonly onEvent = (event: BuildEvent): void => {
    switch (event.type) {
      case 'step-started':
        this.steps.set(event.step, { name: event.name, started: event.time, state: 'running', logs: [] });
        this.timer ??= setInterval(() => this.draw(), REDRAW_MS);
        break;
      case 'step-log': {
        const view = this.steps.get(event.step);
        if (view) {
          view.logs.push(event.line);
          if (view.logs.length > LOG_LINES) view.logs.shift();
        }
        break;
      }
      case 'step-miss': {
        const view = this.steps.get(event.step);
        if (view) view.logs.push(`(cache miss: ${event.reason})`);
        break;
      }
      case 'step-cached':
        this.finish(event.step, 'cached');
        break;
      case 'step-done':
        this.finish(event.step, 'done', event.seconds);
        break;
      case 'step-error':
        this.finish(event.step, 'error');
        break;
      case 'image-pulled':
        this.notes.push(`pulled ${event.ref}`);
        break;
      case 'image-written':
        break;
    }
    this.draw();
  };

  /** Draws the final state and stops redrawing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private finish(step: string, state: StepView['state'], seconds?: number): void {
    const view = this.steps.get(step);
    if (!view) return;
    view.state = state;
    view.seconds = seconds ?? (Date.now() - view.started) / 1000;
    if (state !== 'error') view.logs = [];
  }

  private draw(): void {
    // A terminal that does not say its size (0 columns, e.g. a serial console or `script`) gets 80.
    const width = Math.max(20, this.stream.columns || 80);
    const lines = [chalk.blue(`[+] Building ${((Date.now() - this.startedAt) / 1000).toFixed(1)}s`), ...this.notes.map((n) => ` => ${n}`)];
    for (const view of this.steps.values()) {
      const seconds = view.state === 'running' ? (Date.now() - view.started) / 1000 : (view.seconds ?? 0);
      const status = view.state === 'cached' ? 'CACHED' : view.state === 'error' ? 'ERROR' : `${seconds.toFixed(1)}s`;
      const head = ` => ${view.name}`;
      const line = `${fit(head, width - status.length - 2).padEnd(width - status.length - 1)}${status}`;
      lines.push(view.state === 'error' ? chalk.red(line) : view.state === 'running' ? chalk.cyan(line) : line);
      for (const log of view.logs) lines.push(chalk.dim(fit(` => > ${log}`, width - 1)));
    }
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F` : '';
    text += lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n';
    // Clear what is left of a taller previous frame.
    if (this.drawnLines > lines.length) text += '\x1b[0J';
    this.stream.write(text);
    this.drawnLines = lines.length;
  }
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
