// The ECharts parts the supervisor page draws with (line and bar charts on canvas), bundled by `npm run vendor`
// into ../static/vendor/echarts.min.js as the global `echarts`.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export * from "echarts/core";
