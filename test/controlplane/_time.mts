import { startControlPlane } from "./control-plane.ts";
import { resolveControlPlaneBinaries } from "./binaries.ts";
const binaries = await resolveControlPlaneBinaries();
for (let i = 0; i < 3; i++) {
  const t0 = Date.now();
  const cp = await startControlPlane({ binaries });
  const ready = Date.now() - t0;
  const t1 = Date.now();
  await cp.restartApiServer();
  const restart = Date.now() - t1;
  const t2 = Date.now();
  await cp.stop();
  console.log(`start ${ready}ms restart ${restart}ms stop ${Date.now() - t2}ms`);
}
