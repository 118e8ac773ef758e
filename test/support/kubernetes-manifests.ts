import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import * as ts from 'typescript';

export const REPO_ROOT = resolve(__dirname, '../..');

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** One YAML document of a manifest file, named `k8s/file.yaml#index` in messages. */
export interface ManifestDocument {
  where: string;
  object: KubernetesObject;
}

/** Every YAML file under `dir` (recursively), kustomization files left out: they are no API objects. */
export function manifestFiles(dir = join(REPO_ROOT, 'k8s')): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && !/^kustomization\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export function readManifests(files: string[]): ManifestDocument[] {
  return files.flatMap((file) =>
    loadAll(readFileSync(file, 'utf8'))
      .filter((object) => object !== null && object !== undefined)
      .map((object, index) => ({ where: `${relative(REPO_ROOT, file)}#${index}`, object: object as KubernetesObject })),
  );
}

/** kubernetes-models' module for an API object: `kubernetes-models/apps/v1/Deployment`. */
function modelModule(object: KubernetesObject): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

/**
 * The API schema check (types, required fields, enums, formats) with the
 * validators kubernetes-models generates from Kubernetes' OpenAPI document.
 * Returns the problems, or undefined when the object is valid.
 */
export function schemaProblems(object: KubernetesObject): string | undefined {
  let model: new (data: unknown) => { validate(): void };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = require(modelModule(object))[object.kind];
  } catch {
    return `no Kubernetes API schema for ${object.apiVersion} ${object.kind}`;
  }
  try {
    new model(object).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Fields the API does not know (a typo such as `readinesProbe` passes the
 * schema check, which allows extra keys, and the API server would drop or
 * reject it): TypeScript's excess-property check of each object against
 * kubernetes-models' interface for its kind, as `kubeconform -strict` does.
 * One program for all documents, so the type definitions load once.
 */
export function unknownFieldProblems(documents: ManifestDocument[]): string[] {
  const fileName = join(REPO_ROOT, 'test', '__kubernetes_manifests__.ts');
  const starts: number[] = [];
  let source = '';
  documents.forEach(({ object }, index) => {
    source += `import type { I${object.kind} as T${index} } from '${modelModule(object)}';\n`;
  });
  documents.forEach(({ object }, index) => {
    starts.push(source.split('\n').length - 1);
    source += `export const d${index}: T${index} = ${JSON.stringify(object, null, 2)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return text;
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
    const index = starts.filter((start) => start <= line).length - 1;
    return index < 0 ? text : `${documents[index].where}: ${text}`;
  });
}
