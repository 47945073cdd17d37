"""The corpus report's fixed wording in zh and en (the data are in the report itself)."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "训练语料安全评估报告", "subtitle": "依据《生成式人工智能服务管理暂行办法》第七条与 GB/T 45654 / TC260-003 的语料审计",
        "profile": "评估依据与阈值配置", "generated": "报告生成时间", "seed": "抽样随机种子", "engine": "运行引擎",
        "inputs": "输入", "conclusion": "结论", "conforms": "符合", "does_not_conform": "不符合", "problems": "不符合项",
        "none": "无", "sources": "各来源", "source": "来源", "type": "类型", "records": "记录数", "kept": "保留",
        "share": "违法不良信息占比", "ci": "95% 置信区间（Wilson）", "usable": "可用", "licence": "许可/授权",
        "evidence": "证明已核验", "pi": "含个人信息记录", "optout": "按退出请求排除", "unjudged": "未判定（按不利计）",
        "yes": "是", "no": "否", "unknown": "未知", "samples": "抽检", "measure": "抽检", "clause": "条款",
        "n": "样本量", "min": "最低", "rate": "合格率", "bar": "阈值", "result": "判定", "technical": "技术抽检（关键词 + 分类模型）",
        "manual": "人工抽检", "reviewed": "已审核", "under_size": "样本量不足", "totals": "总计", "reasons": "排除原因",
        "reason": "原因", "count": "数量", "optouts": "已执行的退出请求", "request": "请求", "licences": "许可构成",
        "pi_types": "个人信息类型", "pi_type": "类型", "charts": "图表", "chart_share": "各来源违法不良信息占比",
        "chart_licences": "许可构成（记录数）", "chart_pi": "个人信息（按类型）", "chart_optouts": "已执行的退出请求（排除记录数）",
        "chart_reasons": "排除原因（记录数）", "ceiling": "上限", "axis_records": "记录数",
        "rule_note": "违法不良信息占比 = 含附录 A.1–A.4 共 29 类风险之一或未能判定的记录 / 已评估记录；"
                     "按请求排除、去重等在内容判定之前排除且未判定的记录不计入分母。合格率按全部 31 类风险计，未判定按不合格计。",
        "decide_point": "以占比点估计判定是否超过上限", "decide_upper": "以 95% 置信区间上限判定是否超过上限",
        "sample_kept": "抽样总体：过滤后的训练语料", "sample_all": "抽样总体：读取的全部记录",
        "decisions": "决定记录", "malformed": "无法读取的行", "schema": "报告格式",
        "signatures": "签字", "signature": "签字", "date": "日期", "role_lead": "语料安全评估负责人", "role_reviewer": "人工抽检审核人",
    },
    "en": {
        "title": "Training-corpus security assessment report",
        "subtitle": "Corpus audit to Interim Measures Art 7 and GB/T 45654 / TC260-003",
        "profile": "Standard and threshold profile", "generated": "Generated", "seed": "Sampling seed", "engine": "Engine",
        "inputs": "Inputs", "conclusion": "Conclusion", "conforms": "Conforms", "does_not_conform": "Does not conform",
        "problems": "Non-conformities", "none": "none", "sources": "Sources", "source": "Source", "type": "Type",
        "records": "Records", "kept": "Kept", "share": "Illegal/harmful share", "ci": "95% CI (Wilson)", "usable": "Usable",
        "licence": "Licence / authorisation", "evidence": "Evidence verified", "pi": "Records with PI",
        "optout": "Excluded by opt-out", "unjudged": "Unjudged (counted against)", "yes": "yes", "no": "no",
        "unknown": "unknown", "samples": "Samples", "measure": "Sample", "clause": "Clause", "n": "Sample", "min": "Minimum",
        "rate": "Pass rate", "bar": "Bar", "result": "Verdict", "technical": "Technical sample (keywords + classifier)",
        "manual": "Manual sample", "reviewed": "Reviewed", "under_size": "Sample under size", "totals": "Totals",
        "reasons": "Exclusion reasons", "reason": "Reason", "count": "Count", "optouts": "Opt-out requests honoured",
        "request": "Request", "licences": "Licence mix", "pi_types": "Personal information by type", "pi_type": "Type",
        "charts": "Charts", "chart_share": "Illegal/harmful share per source", "chart_licences": "Licence mix (records)",
        "chart_pi": "Personal information by type", "chart_optouts": "Opt-out requests honoured (records excluded)",
        "chart_reasons": "Exclusion reasons (records)", "ceiling": "ceiling", "axis_records": "records",
        "rule_note": "Illegal/harmful share = records with one of the 29 risks of A.1–A.4, or not judged, over assessed "
                     "records; records excluded before content judgement (opt-out, duplicates…) and not judged are left "
                     "out of the denominator. Pass rates count all 31 risks; unjudged counts as a fail.",
        "decide_point": "the point share decides against the ceiling", "decide_upper": "the 95 % upper bound decides against the ceiling",
        "sample_kept": "sampled from: the filtered training corpus", "sample_all": "sampled from: every record read",
        "decisions": "Decisions", "malformed": "unreadable lines", "schema": "Report schema",
        "signatures": "Signatures", "signature": "Signature", "date": "Date", "role_lead": "Corpus assessment lead",
        "role_reviewer": "Manual-sample reviewer",
    },
}
