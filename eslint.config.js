// The root's own files (scripts, e2e harness, tool configs); each workspace package has its own config.
import { config } from "@cp/eslint-config";

export default [{ ignores: ["apps/**", "packages/**", "infra/**", ".data/**"] }, ...config()];
