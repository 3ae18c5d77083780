import fc from 'fast-check';

// CI runs property tests with a fixed seed so that a run is reproducible; locally every run
// explores new cases (set FC_SEED to replay one).
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : process.env.CI ? 20261129 : undefined;
if (seed !== undefined) fc.configureGlobal({ seed });
