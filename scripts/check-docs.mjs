// Checks that every member of every exported interface and class of every package's public entries has a
// doc comment (typedoc checks the exports themselves). Prints the undocumented members and exits 1 if any.
//   node scripts/check-docs.mjs [--summary]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const summaryOnly = process.argv.includes('--summary');
const packages = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces.filter((path) => path.startsWith('packages/'));

/** The public entries of a package: the source files its `exports` map names. */
function entriesOf(packageDir) {
  const manifest = JSON.parse(readFileSync(join(root, packageDir, 'package.json'), 'utf8'));
  return Object.values(manifest.exports ?? {})
    .map((target) => (typeof target === 'object' ? target['@tradepipe/source'] : undefined))
    .filter((path) => typeof path === 'string')
    .map((path) => join(root, packageDir, path));
}

const entries = packages.flatMap(entriesOf);
const configText = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
const parsed = ts.parseJsonConfigFileContent(configText, ts.sys, root);
const program = ts.createProgram({ rootNames: entries, options: { ...parsed.options, noEmit: true } });
const checker = program.getTypeChecker();
const ours = (declaration) => {
  const file = declaration.getSourceFile().fileName;
  return file.startsWith(join(root, 'packages')) && !file.includes('node_modules');
};
const commentText = (comment) => (typeof comment === 'string' ? comment : (ts.getTextOfJSDocComment(comment) ?? ''));
// A type parameter cannot carry its own doc comment: it is documented by a `@typeParam` (or `@template`) tag of its owner.
const typeParameterDocumented = (declaration) =>
  ts.getJSDocTags(declaration.parent).some((tag) =>
    tag.tagName.text === 'template' ? (tag.typeParameters ?? []).some((parameter) => parameter.name.text === declaration.name.text) : tag.tagName.text === 'typeParam' && commentText(tag.comment).trim().split(/\s+/)[0] === declaration.name.text,
  );
const documented = (declaration) =>
  ts.isTypeParameterDeclaration(declaration)
    ? typeParameterDocumented(declaration)
    : ts.getJSDocCommentsAndTags(declaration).some((doc) => ts.isJSDoc(doc) && (doc.comment !== undefined || (doc.tags?.length ?? 0) > 0));
const isPrivate = (declaration) =>
  (ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 || (declaration.name !== undefined && ts.isPrivateIdentifier(declaration.name));

const missing = [];
let total = 0;
const seen = new Set();
for (const entry of entries) {
  const source = program.getSourceFile(entry);
  if (source === undefined) continue;
  const moduleSymbol = checker.getSymbolAtLocation(source);
  for (let exported of checker.getExportsOfModule(moduleSymbol)) {
    if (exported.flags & ts.SymbolFlags.Alias) exported = checker.getAliasedSymbol(exported);
    if (seen.has(exported)) continue;
    seen.add(exported);
    if ((exported.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) === 0) continue;
    if (!(exported.declarations ?? []).some(ours)) continue;
    for (const member of exported.members?.values() ?? []) {
      const declarations = (member.declarations ?? []).filter((declaration) => ours(declaration) && !isPrivate(declaration));
      if (declarations.length === 0 || member.name === '__index') continue;
      if (ts.isConstructorDeclaration(declarations[0]) && declarations.every((declaration) => declaration.parameters.length === 0)) continue;
      total += 1;
      if (!declarations.some(documented)) {
        const declaration = declarations[0];
        const { line } = declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart());
        missing.push(`${declaration.getSourceFile().fileName.slice(root.length + 1)}:${line + 1} ${exported.name}.${member.name === '__constructor' ? 'constructor' : member.name}`);
      }
    }
  }
}
if (!summaryOnly) for (const line of missing) process.stdout.write(`undocumented: ${line}\n`);
process.stdout.write(`${total - missing.length} of ${total} members of exported interfaces and classes documented; ${missing.length} undocumented\n`);
process.exitCode = missing.length === 0 ? 0 : 1;
