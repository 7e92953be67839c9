"""What citizens write in the demo: comment templates by department and language, posts by department.

Hand-written for the demo (the routing accuracy is measured on a separate labelled set in ``tests/data``).
"""

from __future__ import annotations

AREAS = ["Kothrud", "Hadapsar", "Baner", "Katraj", "Sinhagad Road", "Aundh", "Yerawada", "Kondhwa", "Warje",
         "Shivajinagar", "Dhankawadi", "Vishrantwadi", "Bibwewadi", "Kasba Peth", "Erandwane"]

# (department, text); {area} is filled in.
TEMPLATES: list[tuple[str, str]] = [
    ("Solid Waste Management", "{area} मध्ये तीन दिवसांपासून कचरा उचलला नाही, घंटागाडी येत नाही"),
    ("Solid Waste Management", "Garbage not collected in {area} since Monday, please send the truck"),
    ("Solid Waste Management", "{area} me kachra pada hai, koi uthane nahi aata 😡"),
    ("Solid Waste Management", "कचऱ्याचा ढीग रस्त्यावर आहे {area} चौकात"),
    ("Solid Waste Management", "{area} में कूड़ा जल रहा है, धुआं बहुत है"),
    ("Water Supply", "{area} ला आज पाणी आले नाही, टँकर पाठवा"),
    ("Water Supply", "No water supply in {area} for two days. When will it be restored?"),
    ("Water Supply", "{area} madhe pani kami pressure ne yete, nal kade paha"),
    ("Water Supply", "{area} में पानी गंदा आ रहा है, पीने लायक नहीं"),
    ("Water Supply", "पाइपलाइन फुटली आहे {area} येथे, पाणी वाया जात आहे"),
    ("Drainage", "{area} मध्ये ड्रेनेज चोकअप झाले आहे, घाण पाणी रस्त्यावर"),
    ("Drainage", "Sewage overflowing near {area} bus stop, terrible smell"),
    ("Drainage", "{area} ka nala band ho gaya hai, gutter saaf karo"),
    ("Roads", "{area} रस्त्यावर मोठे खड्डे पडले आहेत, अपघात होत आहेत"),
    ("Roads", "Huge potholes on the main road in {area}, two-wheelers are falling"),
    ("Roads", "{area} madhe khadde bharle nahit ajun, kadhi karnar?"),
    ("Roads", "{area} में सड़क पर गड्ढे हैं, मरम्मत कब होगी?"),
    ("Electrical", "{area} मध्ये पथदिवे बंद आहेत, रात्री अंधार असतो"),
    ("Electrical", "Streetlight not working on lane 4, {area} for a week"),
    ("Electrical", "{area} me street light band hai, bahut andhera hai"),
    ("Health", "{area} मध्ये डासांचा खूप त्रास आहे, धूर फवारणी करा"),
    ("Health", "Dengue cases rising in {area}, please do fogging"),
    ("Health", "{area} में मच्छर बहुत हैं, दवा छिड़काव कब होगा?"),
    ("Encroachment", "{area} फुटपाथवर फेरीवाल्यांचे अतिक्रमण, चालायला जागा नाही"),
    ("Encroachment", "Hawkers have encroached the footpath at {area} station road"),
    ("Building Permission", "{area} मध्ये अनधिकृत बांधकाम सुरू आहे, कारवाई करा"),
    ("Building Permission", "How long does building permission take? Applied in August for {area} plot"),
    ("Property Tax", "मिळकत कर भरण्याची शेवटची तारीख कोणती? {area}"),
    ("Property Tax", "Property tax bill for my {area} flat shows wrong area, whom to contact?"),
    ("Property Tax", "property tax online payment failed but money deducted"),
    ("Garden", "{area} उद्यानातील झोपाळे तुटलेले आहेत, मुलांना धोका"),
    ("Garden", "A big tree has fallen on the road in {area}, please remove it"),
    ("Veterinary", "{area} मध्ये भटक्या कुत्र्यांचा त्रास वाढला आहे"),
    ("Veterinary", "Stray dogs chasing children in {area}, please do something"),
    ("Birth and Death Registration", "जन्म दाखला ऑनलाइन कसा मिळवायचा?"),
    ("Birth and Death Registration", "Applied for death certificate 3 weeks ago, still not received"),
    ("Education", "{area} येथील महापालिका शाळेत शिक्षक नाहीत"),
    ("Fire Brigade", "{area} मध्ये आग लागली आहे, अग्निशमन दल पाठवा!"),
    ("Elections", "मतदार यादीत माझे नाव नाही, {area} वॉर्ड"),
    ("Disaster Management", "{area} मध्ये पावसामुळे पूर परिस्थिती, मदत हवी"),
    ("Traffic Planning", "Signal at {area} chowk not working, traffic jam every evening"),
    ("Traffic Planning", "{area} मध्ये वाहतूक कोंडी, पार्किंग ची व्यवस्था करा"),
    ("Projects", "When will the {area} flyover project be completed?"),
    ("Social Media Cell", "Great initiative PMC 👏👏"),
    ("Social Media Cell", "धन्यवाद, खूप छान काम!"),
    ("Social Media Cell", "Who is the contact person for this?"),
    ("Social Media Cell", "बहुत अच्छा 🙏"),
]

# (platform, department, text of the corporation's post)
POSTS: list[tuple[str, str, str]] = [
    ("facebook", "Water Supply", "पाणीपुरवठा: गुरुवारी देखभालीसाठी पाणीपुरवठा बंद राहील / Water shutdown on Thursday"),
    ("facebook", "Solid Waste Management", "स्वच्छ पुणे अभियान — Clean Pune drive this weekend"),
    ("facebook", "Property Tax", "Property tax: 5% rebate if paid before 30 June"),
    ("instagram", "Garden", "Our gardens in bloom 🌸 #PuneGardens"),
    ("instagram", "Health", "Dengue prevention: empty standing water every week"),
    ("youtube", "Projects", "River front development — project update video"),
    ("youtube", "Roads", "Monsoon road repair plan explained"),
    ("x", "Traffic Planning", "New one-way rules at Shivajinagar from Monday"),
]

# The departments' replies in the demo, by Category and then Language ("mixed" and unknown languages get
# Marathi).  A thanks is thanked, a question answered as a question: never a complaint acknowledgement for all.
REPLIES: dict[str, dict[str, str]] = {
    "Complaint": {
        "mr": "नमस्कार, आपली तक्रार संबंधित विभागाकडे पाठवली आहे. लवकरच कार्यवाही होईल. — पुणे महानगरपालिका",
        "hi": "नमस्ते, आपकी शिकायत संबंधित विभाग को भेज दी गई है। जल्द कार्रवाई होगी। — पुणे महानगरपालिका",
        "en": "Thank you. Your complaint has been forwarded to the department and will be attended shortly. — PMC",
    },
    "Question": {
        "mr": "नमस्कार, आपला प्रश्न संबंधित विभागाकडे पाठवला आहे; विभाग लवकरच माहिती देईल. — पुणे महानगरपालिका",
        "hi": "नमस्ते, आपका प्रश्न संबंधित विभाग को भेजा गया है; विभाग जल्द जानकारी देगा। — पुणे महानगरपालिका",
        "en": "Thank you for asking. Your question has been passed to the department, which will reply shortly. — PMC",
    },
    "Suggestion": {
        "mr": "आपल्या सूचनेबद्दल धन्यवाद. ती संबंधित विभागाकडे विचारार्थ पाठवली आहे. — पुणे महानगरपालिका",
        "hi": "आपके सुझाव के लिए धन्यवाद। इसे संबंधित विभाग को विचार के लिए भेजा गया है। — पुणे महानगरपालिका",
        "en": "Thank you for the suggestion. It has been passed to the department for consideration. — PMC",
    },
    "Remark": {
        "mr": "आपल्या प्रतिक्रियेबद्दल मनःपूर्वक धन्यवाद! — पुणे महानगरपालिका",
        "hi": "आपकी प्रतिक्रिया के लिए हार्दिक धन्यवाद! — पुणे महानगरपालिका",
        "en": "Thank you for your kind words! — PMC",
    },
}

# A comment routed to the cell as not the corporation's (Assigned By "... not PMC": power cuts are MSEDCL's).
NOT_PMC_REPLIES: dict[str, str] = {
    "mr": "नमस्कार, वीजपुरवठा हा महावितरणचा (MSEDCL) विषय आहे, महानगरपालिकेचा नाही. कृपया महावितरणच्या 1912 या "
          "क्रमांकावर तक्रार नोंदवावी. — पुणे महानगरपालिका",
    "hi": "नमस्ते, बिजली आपूर्ति महावितरण (MSEDCL) का विषय है, महानगरपालिका का नहीं। कृपया 1912 पर शिकायत दर्ज "
          "करें। — पुणे महानगरपालिका",
    "en": "Power supply is handled by MSEDCL (Mahavitaran), not the corporation: please call 1912 to report the "
          "outage. — PMC",
}


# Matters that cannot wait: the Routing tab's urgent cues make them Priority Urgent.
URGENT_COMMENTS = [
    ("facebook", "कर्वे रस्त्यावर मोठे झाड पडले आहे, वाहने अडकली आहेत"),
    ("x", "@PMCPune live wire hanging near the school gate in Aundh, please send someone now"),
    ("instagram", "Yerawada madhe dushit pani yete, lahan mula ajari padli"),
    ("youtube", "Kasba Peth mein purani building ki deewar giri, log fanse hain"),
]

# A citizen answering the corporation's reply: the conversation reopens.
FOLLOW_UPS = [
    "अजूनही काम झालेले नाही, आठवडा झाला.",
    "Still not fixed, it's been a week.",
    "Abhi tak kuch nahi hua, please check again.",
]
