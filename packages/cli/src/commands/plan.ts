import { createPlan } from '@tsbuild/frontend';
import { TsbuildError, formatLocation } from '@tsbuild/errors';
import type { Command } from '../command.js';
import { keyValues, parseCommandArgs } from '../args.js';
import { readDockerfileInput } from '../dockerfile-input.js';
import { formatPlanText } from '../format/plan-text.js';
import { err, out } from '../output.js';

export const planCommand: Command = {
  name: 'plan',
  help: `Usage: tsbuild plan [OPTIONS] CONTEXT

Parses the Dockerfile, expands its variables as Docker does and prints the stages and steps a
build of the target would run. Nothing is built or pulled.

Options:
  -f, --file FILE         Dockerfile to use (default CONTEXT/Dockerfile; "-" reads stdin)
      --target STAGE      Plan only the stages this stage needs
      --build-arg K[=V]   Set a build arg (value from the environment when "=V" is omitted)
      --format text|json  Output format (default text; json is the plan the executor consumes)

Examples:
  tsbuild plan examples/hello
  tsbuild plan --target build --build-arg VERSION=1.2 --format json .`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('plan', argv, {
      file: { type: 'string', short: 'f' },
      target: { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
    });
    const format = values.format as string;
    if (format !== 'text' && format !== 'json') {
      throw new TsbuildError('USAGE', `plan: --format must be text or json, not "${format}"`, { kind: 'usage' });
    }
    const input = readDockerfileInput(positionals[0], values.file as string | undefined);
    const plan = await createPlan({
      dockerfile: input.text,
      file: input.file,
      context: input.context,
      buildArgs: keyValues(values['build-arg'] as string[] | undefined, '--build-arg'),
      ...(values.target === undefined ? {} : { target: values.target as string }),
    });
    for (const w of plan.warnings) err(`warning: ${w.location ? `${formatLocation(w.location)}: ` : ''}${w.message}`);
    if (format === 'json') out(JSON.stringify(plan, null, 2));
    else for (const line of formatPlanText(plan)) out(line);
    return 0;
  },
};
