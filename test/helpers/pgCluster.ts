/** The tests' cluster helper lives in src/sandbox (the demo and the benchmark use it too). */
export * from '../../src/sandbox/throwaway';
