/**
 * Whether the webgpu tests can run here. Where no adapter is found they skip, saying why; with
 * L2X_REQUIRE_WEBGPU=1 (CI, which installs Mesa's lavapipe) they fail instead, so that a broken Vulkan setup
 * cannot pass as a skip.
 */
import { webgpuStatus } from '../src/webgpu.ts';

export const REQUIRE_WEBGPU = 'L2X_REQUIRE_WEBGPU';

export async function webgpuAvailable(): Promise<boolean> {
  const { adapters, problem } = await webgpuStatus();
  if (adapters.length > 0) return true;
  if (process.env[REQUIRE_WEBGPU] === '1') throw new Error(`${REQUIRE_WEBGPU}=1 but WebGPU cannot run here: ${problem}`);
  console.warn(`webgpu tests skipped: ${problem} (set ${REQUIRE_WEBGPU}=1 to make this a failure)`);
  return false;
}
