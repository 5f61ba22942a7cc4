// Strict validation of rendered Kubernetes manifests against the Kubernetes API schemas shipped in
// `kubernetes-models`: its validators check types, formats and required fields; its TypeScript declarations
// (read with the TypeScript compiler) give every object's known fields, so an unknown (e.g. misspelt) field is
// refused, as `kubectl apply --validate=strict` does against a server. A test helper, not part of the image.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import ts from 'typescript';

/** A rendered manifest: any Kubernetes object. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
  readonly [field: string]: unknown;
}

const require = createRequire(import.meta.url);

/** `apiVersion/kind` → the `kubernetes-models` module that declares it (the kinds this deployment uses). */
const MODULES: Readonly<Record<string, string>> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/PersistentVolumeClaim': 'kubernetes-models/v1/PersistentVolumeClaim',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
};

/** Why a manifest is invalid: one line per problem, with the object and the field path. */
export class ManifestSchemaError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid manifests:\n${problems.join('\n')}`);
    this.name = 'ManifestSchemaError';
  }
}

let checker: { program: ts.Program; types: Map<string, ts.Type> } | undefined;

/** Loads the declared interface of every known kind once (about a second: one TypeScript program). */
function declaredTypes(): { program: ts.Program; types: Map<string, ts.Type> } {
  if (checker !== undefined) return checker;
  const entry = `${dirname(require.resolve('kubernetes-models/package.json'))}/__tradepipe_kinds.ts`;
  const source = Object.entries(MODULES)
    .map(([key, module], index) => `import type { I${key.split('/').at(-1)} as K${index} } from '${module}';\nexport type T${index} = K${index};`)
    .join('\n');
  const host = ts.createCompilerHost({ strict: true, noEmit: true, skipLibCheck: true });
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (fileName === entry ? source : readFile(fileName));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === entry || fileExists(fileName);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language) =>
    fileName === entry ? ts.createSourceFile(fileName, source, language) : getSourceFile(fileName, language);
  const program = ts.createProgram({ rootNames: [entry], options: { strict: true, noEmit: true, skipLibCheck: true, moduleResolution: ts.ModuleResolutionKind.Node10 }, host });
  const typeChecker = program.getTypeChecker();
  const file = program.getSourceFile(entry)!;
  const types = new Map<string, ts.Type>();
  Object.keys(MODULES).forEach((key, index) => {
    const alias = file.statements.find((statement): statement is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(statement) && statement.name.text === `T${index}`);
    if (alias === undefined) throw new Error(`kubernetes-models declares no type for ${key}`);
    types.set(key, typeChecker.getTypeAtLocation(alias.name));
  });
  checker = { program, types };
  return checker;
}

/** The object (non-nullish) members of a declared type: a union's object parts, an array's element type. */
function objectParts(type: ts.Type): ts.Type[] {
  const parts = type.isUnion() ? type.types : [type];
  return parts.filter((part) => (part.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) === 0);
}

function unknownFields(value: unknown, type: ts.Type, path: string, typeChecker: ts.TypeChecker, problems: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const parts = objectParts(type);
  if (Array.isArray(value)) {
    const element = parts.map((part) => typeChecker.getIndexTypeOfType(part, ts.IndexKind.Number)).find((found) => found !== undefined);
    if (element !== undefined) value.forEach((item, index) => unknownFields(item, element, `${path}[${index}]`, typeChecker, problems));
    return;
  }
  const objectType = parts.find((part) => part.getProperties().length > 0 || typeChecker.getIndexTypeOfType(part, ts.IndexKind.String) !== undefined);
  if (objectType === undefined) return; // a free-form value (e.g. IntOrString, Quantity)
  const indexType = typeChecker.getIndexTypeOfType(objectType, ts.IndexKind.String);
  for (const [key, child] of Object.entries(value)) {
    const property = objectType.getProperty(key);
    const childPath = `${path}.${key}`;
    if (property !== undefined) unknownFields(child, typeChecker.getNonNullableType(typeChecker.getTypeOfSymbol(property)), childPath, typeChecker, problems);
    else if (indexType !== undefined) unknownFields(child, indexType, childPath, typeChecker, problems);
    else problems.push(`${childPath}: unknown field`);
  }
}

/**
 * Validates rendered manifests strictly: a known kind, the schema's types and required fields, and no
 * unknown field anywhere.
 * @throws ManifestSchemaError listing every problem
 */
export function validateManifestsStrictly(manifests: readonly KubernetesObject[]): void {
  const { program, types } = declaredTypes();
  const typeChecker = program.getTypeChecker();
  const problems: string[] = [];
  for (const manifest of manifests) {
    const key = `${manifest.apiVersion}/${manifest.kind}`;
    const label = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
    const module = MODULES[key];
    const type = types.get(key);
    if (module === undefined || type === undefined) {
      problems.push(`${label}: no schema for ${key}`);
      continue;
    }
    const model = (require(module) as Record<string, new (data: unknown) => { validate(): void }>)[manifest.kind]!;
    try {
      new model(manifest).validate();
    } catch (error) {
      problems.push(`${label}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    unknownFields(manifest, type, label, typeChecker, problems);
  }
  if (problems.length > 0) throw new ManifestSchemaError(problems);
}
