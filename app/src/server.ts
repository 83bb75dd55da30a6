import { runService } from "./service";

runService(process.env);
