import { startControlPlane } from "./control-plane.ts";
const mode = process.argv[2];
try {
  const cp = await startControlPlane(mode === "kcm" ? { extraControllers: ["no-such-controller"] } : {});
  await cp.stop();
  console.log("started?!");
} catch (err) {
  console.log("ERROR STACK:\n" + (err as Error).stack);
}
