import { config } from "@cp/eslint-config";

export default config({ layer: "infra" });
