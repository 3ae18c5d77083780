import { mlp } from '@mo/models';
import { adam, evaluate, fit } from '@mo/train';
import { loadFashionMnist } from '@mo/train/node';

const { train, test } = loadFashionMnist({ dir: 'fixtures/fashion-mnist' }); // from the repo root
const { graph, history } = await fit(mlp({ hiddenSizes: [64] }), {
  data: train, evalData: test, optimizer: adam({ lr: 2e-3 }), epochs: 3, seed: 1,
});
console.table(history);
console.log('test accuracy', (await evaluate(graph, test)).accuracy);
