import type { CommandLine, Instruction } from '@tsbuild/frontend';
import type { ContainerConfig, ImageConfig } from '@tsbuild/oci';

/** Per-stage memory Docker needs while applying metadata: whether this stage set CMD itself. */
export interface ConfigContext {
  cmdSetInStage: boolean;
  shell: string[];
}

/** The argv Docker stores for a CMD/ENTRYPOINT/HEALTHCHECK: shell form runs through SHELL. */
export function commandArgv(command: CommandLine, shell: string[]): string[] {
  return command.form === 'exec' ? command.argv : [...shell, command.script];
}

function setEnv(env: string[] | undefined, pairs: Array<[string, string]>): string[] {
  const result = [...(env ?? [])];
  for (const [key, value] of pairs) {
    const at = result.findIndex((e) => e === key || e.startsWith(`${key}=`));
    if (at >= 0) result[at] = `${key}=${value}`;
    else result.push(`${key}=${value}`);
  }
  return result;
}

/**
 * Applies a metadata instruction to the image config as Docker does, returning a new config.
 * Instructions that change the filesystem (RUN, COPY, ADD) leave the config as it is.
 */
export function applyMetadata(config: ImageConfig, instruction: Instruction, context: ConfigContext): ImageConfig {
  const c: ContainerConfig = { ...(config.config ?? {}) };
  switch (instruction.kind) {
    case 'ENV':
      c.Env = setEnv(c.Env, instruction.pairs);
      break;
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(instruction.pairs) };
      break;
    case 'EXPOSE':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(instruction.ports.map((p) => [p, {}])) };
      break;
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(instruction.paths.map((p) => [p, {}])) };
      break;
    case 'USER':
      c.User = instruction.user;
      break;
    case 'WORKDIR':
      c.WorkingDir = instruction.path;
      break;
    case 'CMD':
      c.Cmd = commandArgv(instruction.command, context.shell);
      context.cmdSetInStage = true;
      break;
    case 'ENTRYPOINT':
      c.Entrypoint = commandArgv(instruction.command, context.shell);
      // An inherited CMD is meant for the old ENTRYPOINT; one set in this stage stays.
      if (!context.cmdSetInStage) c.Cmd = null;
      break;
    case 'HEALTHCHECK': {
      const h = instruction.healthcheck;
      c.Healthcheck = {
        Test: h.test,
        ...(h.interval === undefined ? {} : { Interval: h.interval }),
        ...(h.timeout === undefined ? {} : { Timeout: h.timeout }),
        ...(h.startPeriod === undefined ? {} : { StartPeriod: h.startPeriod }),
        ...(h.startInterval === undefined ? {} : { StartInterval: h.startInterval }),
        ...(h.retries === undefined ? {} : { Retries: h.retries }),
      };
      break;
    }
    case 'STOPSIGNAL':
      c.StopSignal = instruction.signal;
      break;
    case 'SHELL':
      c.Shell = instruction.shell;
      context.shell = instruction.shell;
      break;
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), instruction.trigger];
      break;
    case 'MAINTAINER':
      return { ...config, author: instruction.maintainer, config: c };
    default:
      return config;
  }
  return { ...config, config: c };
}
