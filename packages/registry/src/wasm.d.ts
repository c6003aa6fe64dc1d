// The few WebAssembly JavaScript API declarations the tag-page summary thread uses: Node 20 has
// the API, but @types/node 20 does not declare it (and the DOM library is not in this build).
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: Uint8Array);
    }
    class Memory {
      readonly buffer: ArrayBuffer;
    }
    class Instance {
      constructor(module: Module, imports?: Record<string, unknown>);
      readonly exports: Record<string, unknown>;
    }
    function compile(bytes: Uint8Array): Promise<Module>;
  }
}
export {};
