import { config } from "@cp/eslint-config";

export default config({ allowProcessEnv: true });
