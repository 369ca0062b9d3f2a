"use strict";
// Labels the agent and supervisor pages share: the system's own pause reasons in Chinese (the centre's
// reasons, 小休、就餐、培训、会议, are shown as configured).
const SYSTEM_PAUSE_LABEL = { "no answer": "未接听", login: "刚签入", "telephony outage": "电话系统中断" };
const pauseLabel = (reason) => SYSTEM_PAUSE_LABEL[reason] || reason || "未注明";
