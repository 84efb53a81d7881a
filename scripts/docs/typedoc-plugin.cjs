// @ts-check
/**
 * The project's TypeDoc plugin (typedoc.json), two small things:
 * - modules are named after the package's subpath exports (`portabase`, `portabase/memory`, …)
 *   rather than their source folders (`src`, `adapters/memory`), without a `@module` tag in the code;
 * - links to RxJS names resolve to rxjs.dev: the types portabase exposes (Observable, BehaviorSubject)
 *   and the names RxJS's own comments mention in members our types inherit (UploadTask extends
 *   Observable: `forEach` says {@link take}). Any other unresolved link stays a warning.
 */
const { Converter, ReflectionKind } = require('typedoc')
const rxjs = require('rxjs')

/** Source folder of an entry point → the subpath it is exported as (package.json `exports`). */
function exportName(moduleName) {
  if (moduleName === 'src') return 'portabase'
  // The testing kit lives with the memory adapter it is built on.
  if (moduleName === 'adapters/memory/testing') return 'portabase/testing'
  const m = /^(?:src|adapters)\/(.+)$/.exec(moduleName)
  return m ? `portabase/${m[1]}` : moduleName
}

/** @param {import('typedoc').Application} app */
exports.load = function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) mod.name = exportName(mod.name)
  })

  app.converter.addUnknownSymbolResolver((ref) => {
    if (ref.moduleSource && ref.moduleSource !== 'rxjs') return undefined
    const path = ref.symbolReference?.path
    if (!path || path.length !== 1) return undefined
    const name = path[0].path
    if (!Object.prototype.hasOwnProperty.call(rxjs, name)) return undefined
    const value = rxjs[name]
    const kind = typeof value === 'function' ? (/^[A-Z]/.test(name) ? 'class' : 'function') : 'const'
    return `https://rxjs.dev/api/index/${kind}/${name}`
  })
}
