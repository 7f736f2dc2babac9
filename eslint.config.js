// Lint: TypeScript rules plus the Nx dependency matrix between projects.
// Tags live in each project.json: type:* says what a project is, scope:* what part of the product it serves.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'results/**', 'tmp/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // What a project may import, by kind. Apps wire everything; the model knows nothing of storage or UI.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:feature', 'type:ui', 'type:data-access', 'type:domain', 'type:model', 'type:util'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:ui', 'type:data-access', 'type:domain', 'type:model', 'type:util'],
            },
            { sourceTag: 'type:ui', onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:domain', 'type:model', 'type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:model', 'type:util'] },
            { sourceTag: 'type:model', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            // Which part of the product may import which.
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:sweep', onlyDependOnLibsWithTags: ['scope:model', 'scope:shared'] },
            { sourceTag: 'scope:store', onlyDependOnLibsWithTags: ['scope:sweep', 'scope:model', 'scope:shared'] },
            { sourceTag: 'scope:report', onlyDependOnLibsWithTags: ['scope:store', 'scope:sweep', 'scope:model', 'scope:shared'] },
            { sourceTag: 'scope:dashboard', onlyDependOnLibsWithTags: ['scope:dashboard', 'scope:store', 'scope:sweep', 'scope:shared'] },
            {
              sourceTag: 'scope:sweeper',
              onlyDependOnLibsWithTags: ['scope:sweeper', 'scope:dashboard', 'scope:report', 'scope:store', 'scope:sweep', 'scope:model', 'scope:shared'],
            },
          ],
        },
      ],
    },
  },
  {
    // A library's index.ts is its public surface and only re-exports.
    files: ['libs/*/src/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program > :not(ExportNamedDeclaration[source], ExportAllDeclaration)',
          message: "A library's index.ts only re-exports (export … from './file'); put code in a file named for what it holds.",
        },
      ],
    },
  },
];
