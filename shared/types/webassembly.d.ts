// The members of the WebAssembly global this project uses. Node has the global, but @types/node 20
// does not declare it and the DOM library would bring in far more than it.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    readonly value: unknown;
  }
  function validate(bytes: Uint8Array): boolean;
}
