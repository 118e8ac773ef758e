import { readFileSync } from 'node:fs';
import { DockerfileParser, Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

/** An instruction's keyword, its arguments without flags, and its flags by name. */
export interface DockerInstruction {
  keyword: string;
  args: string;
  flags: Record<string, string | null>;
}

export interface DockerStage {
  name: string | null;
  image: string | null;
  instructions: DockerInstruction[];
}

function flagsOf(instruction: Instruction): Record<string, string | null> {
  if (!(instruction instanceof ModifiableInstruction)) return {};
  return Object.fromEntries(instruction.getFlags().map((flag) => [flag.getName(), flag.getValue()]));
}

/** The build stages in order, base images with the global ARGs' defaults filled in. */
export function readDockerfile(path: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const globalArgs: Record<string, string> = {};
  const dockerfile = DockerfileParser.parse(readFileSync(path, 'utf8'));
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const args = instruction.getArgumentsContent() ?? '';
    if (keyword === 'FROM') {
      const from = dockerfile.getFROMs().find((candidate) => candidate.getRange().start.line === instruction.getRange().start.line);
      const image =
        from
          ?.getImageName()
          ?.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs[a ?? b ?? ''] ?? '') ?? null;
      stages.push({ name: from?.getBuildStage() ?? null, image, instructions: [] });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [name, value = ''] = args.split(/=(.*)/s);
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword, args, flags: flagsOf(instruction) });
    }
  }
  return stages;
}

/** Errors and warnings of the Dockerfile linter VS Code uses (unknown instructions or flags, bad JSON forms, ...). */
export function dockerfileProblems(path: string): string[] {
  return validate(readFileSync(path, 'utf8')).map(
    (diagnostic) =>
      `line ${diagnostic.range.start.line + 1}: ${typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value}`,
  );
}

/** The argv of an exec-form instruction (`CMD ["node", "x.js"]`); throws on the shell form. */
export function execForm(args: string): string[] {
  const json = args.replace(/^CMD\s+/, '');
  const argv: unknown = JSON.parse(json);
  if (!Array.isArray(argv) || !argv.every((item) => typeof item === 'string')) throw new Error(`not an exec form: ${args}`);
  return argv;
}

/**
 * Whether a `.dockerignore` pattern list keeps `path` out of the build context.
 * Enough of Docker's matching for this repository: `*` within a segment, a
 * pattern matching a folder excludes what is in it, `!` re-includes.
 */
export function dockerIgnores(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
    if (new RegExp(`^${source}(/.*)?$`).test(path)) ignored = !negated;
  }
  return ignored;
}

export function readDockerignore(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
